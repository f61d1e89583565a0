"""`card_printer`: the permit's rewritable back (thermal rewrite, no ribbon), a module of
the motorised card unit: erase the strip, print a 1-bit raster on it, read it back."""
