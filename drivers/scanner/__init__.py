"""The code scanner: a serial 1D/2D scanner that sends each decoded code as a line
(CR or CRLF), its driver and simulator; and decoding from a camera frame (pyzbar)
as the fallback."""
