"""Channel-agnostic conversation: an :class:`~handlers.messages.IncomingMessage` in, replies out. A
handler never knows which channel a message came from; it asks ``knowledge`` what answers."""
