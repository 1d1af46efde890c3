from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_clock import FakeClock, timed_machine


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """A fake clock that Machine's work advances (`fake_clock`)."""
    yield from timed_machine(monkeypatch)
