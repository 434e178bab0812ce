"""The chat platforms: Telegram, Zalo OA, Zalo Bot and the console, and what they share (the durable
inbox, delivery of staff answers, text splitting, bounded memories, the Zalo OA token pair).

A channel only translates its platform's messages to :class:`handlers.messages.IncomingMessage` and the
replies back; it never decides what to answer. A channel module imports no other channel module, only
the shared helpers here.
"""
