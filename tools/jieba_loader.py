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
    """The initialised ``jieba`` module (word segmentation only, see :func:`jieba_posseg`)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def jieba_posseg() -> Any:
    """``jieba.posseg`` (part-of-speech tags, for the name finder). Imported only when needed:
    its import parses the whole dictionary again (about as long as the dictionary load), which
    a search whose query needs no name check should not pay."""
    jieba = jieba_module()
    with _lock:
        import jieba.posseg

    return jieba.posseg
