"""The UPS through Network UPS Tools: the driver speaks NUT's network protocol to
`upsd` itself; the simulator is a real private `upsd` with `dummy-ups` behind it."""
