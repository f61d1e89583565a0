"""The A4 document printer through CUPS: the driver, and a simulator that is a real
private CUPS with a queue whose device is a simulated printer (a CUPS backend)."""
