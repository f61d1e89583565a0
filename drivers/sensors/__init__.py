"""`sensors`: the booth's presence sensor, door switch and tamper switch, read from a
Modbus RTU discrete-input board over serial (drivers/io_board)."""
