"""``python -m capsim``: the same as the ``capsim`` command."""

import sys

from capsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
