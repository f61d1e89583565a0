"""`lights`: a guide light at each device's slot and a buzzer, driven through the coils
of a Modbus RTU output board over serial (drivers/io_board)."""
