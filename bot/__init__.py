"""Input and output only, never what to answer: the process (``runner`` starts the web server, the channels
and the answering workers; ``settings``; ``logs``; ``workers``, the pool that answers off the event loop;
``staff_jobs``, staff imports in a process of their own; ``upkeep``, the daily index care; ``http_body``,
bounded request bodies), and three packages: ``channels`` (Telegram, Zalo, console), ``web`` (web chat,
JSON API, admin, accounts) and ``cli`` (the command line of ``run_bot.py``)."""
