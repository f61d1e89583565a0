"""The receipt printer (ESC/POS over serial): the slip model it prints, its driver
and its simulator."""
