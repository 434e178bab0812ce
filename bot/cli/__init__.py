"""The command line of ``run_bot.py``: :mod:`.main` builds the parser and registers the command modules
(:mod:`.staff` for ``kb …`` and ``admin``, :mod:`.articles` for ``kb article``, :mod:`.query_logs` for
``logs``, :mod:`.evaluate` for ``eval``, :mod:`.doctor`); they share :mod:`.common` and never import
the package or :mod:`.main` back.
"""
from .main import build_parser, main

__all__ = ["build_parser", "main"]
