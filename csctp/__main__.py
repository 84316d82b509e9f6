"""``python -m csctp COMMAND``: see :mod:`csctp.cli`."""

import sys

from csctp.cli import main

if __name__ == "__main__":
    sys.exit(main())
