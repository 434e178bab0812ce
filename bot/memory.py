"""Bounded in-memory stores the channel adapters share: per-user memory and the ids of
deliveries already answered (platforms deliver again after a timeout or a failure)."""
from __future__ import annotations

from collections import OrderedDict


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond ``size`` (per-user memory, seen ids)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Deduper:
    """Remembers the last ``size`` message ids; :meth:`seen` is true from the second delivery on."""

    def __init__(self, size: int = 10_000):
        self.ids = Bounded(size)

    def seen(self, message_id: str) -> bool:
        if message_id in self.ids:
            return True
        self.ids[message_id] = True
        return False
