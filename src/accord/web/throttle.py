"""Back-off after failed sign-ins, per e-mail and address and per e-mail alone.

After `FREE` failures a key is locked for `BASE_SECONDS`, doubling with each further
failure up to `CAP_SECONDS`; a success clears the e-mail's keys. Held in memory: each
process counts on its own, which bounds guessing to (processes x FREE) per lock period.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE = 5
FREE_PER_EMAIL = 20  # from any address: slows guessing spread over many addresses
BASE_SECONDS = 30.0
CAP_SECONDS = 3600.0
MAX_KEYS = 20_000


@dataclass
class _Entry:
    failures: int = 0
    until: float = 0.0
    reported: bool = False  # this lock was audited already


class SignInThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(email: str, address: str) -> list[tuple[tuple[str, str], int]]:
        email = email.strip().lower()
        return [((email, address), FREE), ((email, "*"), FREE_PER_EMAIL)]

    def retry_after(self, email: str, address: str) -> tuple[float, bool]:
        """Seconds to wait before another attempt (0: go ahead), and whether this is the
        first refusal of the current lock (worth one audit entry)."""
        now = self.clock()
        with self._lock:
            wait, first = 0.0, False
            for key, _free in self._keys(email, address):
                entry = self._entries.get(key)
                if entry is not None and entry.until > now:
                    wait = max(wait, entry.until - now)
                    if not entry.reported:
                        entry.reported = first = True
            return wait, first

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, free in self._keys(email, address):
                entry = self._entries.pop(key, None) or _Entry()
                entry.failures += 1
                if entry.failures >= free:
                    delay = BASE_SECONDS * 2 ** (entry.failures - free)
                    entry.until = now + min(delay, CAP_SECONDS)
                    entry.reported = False
                self._entries[key] = entry  # most recent last
            while len(self._entries) > MAX_KEYS:
                self._entries.popitem(last=False)

    def succeeded(self, email: str, address: str) -> None:
        with self._lock:
            for key, _free in self._keys(email, address):
                self._entries.pop(key, None)
