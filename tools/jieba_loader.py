"""jieba, initialised once per process (its dictionary ships inside the package: no download).

Shared by the case tokenizer (``tools.cases.text``) and the name finder (``tools.pii.names``) so
the ~1 s dictionary load happens once, under a lock, and jieba's start-up chatter stays quiet.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

_lock = threading.Lock()
_jieba: Any = None


def jieba_module() -> Any:
    """The initialised ``jieba`` module (``jieba.posseg`` is imported too)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba
                import jieba.posseg

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba
