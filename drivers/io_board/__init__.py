"""The booth's I/O boards: Modbus RTU slaves on serial (RS-485 through a USB adapter),
as industrial discrete-input and relay/LED output modules speak. `sensors` reads one
(presence, door, tamper); `lights` drives another (a guide light per slot, a buzzer)."""
