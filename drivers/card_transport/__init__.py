"""`card_transport`: the motorised card slot (Creator CRT-310 style command set over
serial) with its retain bin and a storage module of numbered slots."""
