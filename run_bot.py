#!/usr/bin/env python3
"""The one entry point of the Can Tho DOST chatbot: ``python run_bot.py --help``."""
import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
