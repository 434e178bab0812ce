"""What the bot knows and how it finds it: the SQLite store (``store``), Vietnamese text normalisation
(``text``), import (``ingest``), contact facts (``contacts``), the answer engines (``matcher``, ``answer``,
the default ``combined``), staff changes and their audit trail (``management``, ``audit``), hand-over
requests, the query log and evaluation. It imports nothing from ``handlers`` or ``bot``."""
