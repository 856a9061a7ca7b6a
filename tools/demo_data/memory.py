"""Hand memory the generator has freed back to the operating system between chunks.

A chunk's frames are freed when it is written, but the allocators keep the pages for reuse:
glibc's malloc (Python objects, NumPy arrays) and Arrow's pool (pandas' string columns).
Their high-water marks add up with DuckDB's buffer pool to the process's peak RSS, and the
glibc heaps fragment further with every chunk (two threads allocate: simulation and writer).
Returning free pages after each chunk keeps the peak at one chunk's working set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:
    """glibc's ``malloc_trim``, or None where the C library is not glibc (macOS, musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> None:
    """Return the free pages of Arrow's pool and of every glibc heap to the OS."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
