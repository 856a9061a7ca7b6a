"""The generator hands freed memory back to the OS between chunks (tools/demo_data/memory.py)."""

from __future__ import annotations

import os

import pytest

from tools.demo_data.memory import _malloc_trim, release_freed_memory


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library is not glibc")
def test_freed_heap_pages_go_back_to_the_os():
    """A chunk's strings freed around a few survivors stay resident (the heap cannot shrink
    past a live block) until ``release_freed_memory`` returns the free pages in between."""
    blocks = [bytes(2048) + i.to_bytes(4, "little") for i in range(100_000)]  # ~200 MB
    survivors = blocks[::64]  # like values a chunk leaves behind (pool, caches)
    del blocks
    resident = _rss_bytes()
    release_freed_memory()
    released = resident - _rss_bytes()
    assert released > 100 * 2**20, f"only {released / 2**20:.0f} MiB returned"
    assert len(survivors) == 1563
