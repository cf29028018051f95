"""The event loop the services run on (`varsel run`, `varsel demo`): uvloop.

Short commands (migrate, exports, admin tasks) keep ``asyncio.run``: they do little on the loop.

uvloop is libuv under asyncio's interface. The services spend much of their CPU in the loop
itself (a mail is a handful of socket writes, reads and callbacks; a poll a request and its
answer), and uvloop does that work in C: fewer instructions per mail, poll and sign-up, with no
change to the code that runs on it. uvicorn picks it (and httptools) the same way for its
own workers, which is what the bare endpoint of bench/signup measures against.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh uvloop loop, as ``asyncio.run`` does."""
    return uvloop.run(main)
