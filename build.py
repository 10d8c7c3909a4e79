"""The editor's entry point: `python build.py` is `paper build`."""

import sys

from paper.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
