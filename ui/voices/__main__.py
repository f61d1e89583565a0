import sys

from ui.voices import main

sys.exit(main(sys.argv[1:]))
