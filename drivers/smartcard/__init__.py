"""Travel-document chips over PC/SC: ICAO 9303 (MRZ, BAC, secure messaging, data
groups) and the project's permit applet. (In progress: the cryptography and the MRZ
are here; the PC/SC driver and the card programs on vpcd are still to come.)"""
