"""The process's heap, kept small: the kiosk runs for months on a machine whose
memory it shares with the camera's and the face models' native buffers.

glibc gives each thread that allocates its own arena (up to eight per core); the
photo and face models run on several threads and their buffers, freed, stay
spread over those arenas. Two arenas and a trim after each model set is closed
keep the resident size of a photo step followed by a face check near 400 MB
instead of 470 (bench/touchscreen.py). Elsewhere than glibc both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("kiosk.memory")

M_ARENA_MAX = -8  # glibc's malloc.h


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def fewer_arenas(count: int = 2) -> bool:
    """At most `count` malloc arenas from now on (call before the threads start)."""
    libc = _libc()
    done = bool(libc is not None and libc.mallopt(M_ARENA_MAX, count) == 1)
    log.debug("malloc arenas limited to %d: %s", count, done)
    return done


def give_back() -> None:
    """Return the heap's free pages to the system (after the models are closed)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
