"""The bounded in-memory store the channel adapters share for per-user memory (suggestions offered,
answers to rate). The ids of deliveries already taken are kept in the database (:mod:`bot.channels.inbox`),
so that a redelivery after a restart is recognised too."""
from __future__ import annotations

from collections import OrderedDict


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond ``size`` (per-user memory, suggestion texts)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

