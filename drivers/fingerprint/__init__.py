"""The fingerprint pad (ZhianTec ZFM / R30x family over serial): packets, the
driver, and a simulator that answers the module's whole instruction set."""
