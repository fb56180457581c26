"""``python -m glassbox``: the same as the ``glassbox`` command."""
import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
