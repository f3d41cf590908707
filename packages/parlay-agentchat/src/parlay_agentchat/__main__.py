"""``python -m parlay_agentchat``: the ``parlay`` command line."""

import sys

from parlay_agentchat.cli import main

if __name__ == "__main__":
    sys.exit(main())
