"""An ordered registry that an app lower in the dependency chain defines and the apps above
it fill from their ``AppConfig.ready()`` (map page extensions, report kinds, ...): entries
by key (registering a key again replaces its entry), listed by order, then in registration
order; ``registered`` keeps an entry for a block only (tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of type ``T`` named by ``key(entry)`` and listed by ``order(entry)``."""

    def __init__(self, key: Callable[[T], str], order: Callable[[T], int]) -> None:
        self._key = key
        self._order = order
        self._entries: list[T] = []

    def register(self, entry: T) -> None:
        """Add ``entry``, or replace the entry of the same key."""
        self.unregister(self._key(entry))
        self._entries.append(entry)
        self._entries.sort(key=self._order)  # stable: registration order within an order

    def unregister(self, key: str) -> None:
        """Remove the entry ``key`` (if there is one)."""
        self._entries[:] = [e for e in self._entries if self._key(e) != key]

    @contextmanager
    def registered(self, entry: T) -> Iterator[T]:
        """``entry`` registered for the block only; an entry it replaced comes back."""
        key = self._key(entry)
        previous = next((e for e in self._entries if self._key(e) == key), None)
        self.register(entry)
        try:
            yield entry
        finally:
            self.unregister(key)
            if previous is not None:
                self.register(previous)

    def entries(self) -> list[T]:
        """Every entry, in order."""
        return list(self._entries)
