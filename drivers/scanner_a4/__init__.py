"""The A4 document scanner through SANE: the driver runs `scanimage` (sane-utils), as
the document printer runs CUPS's tools; the simulator is SANE's own `test` backend in
a private SANE configuration."""
