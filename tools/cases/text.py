"""Case text helpers: the text that is indexed, language detection, lexical tokens.

Chinese is cut into words with jieba (its dictionary read lazily: tools.jieba_loader);
English and other Latin text into lower-cased words. Stop words, PII placeholders, CFPB
``XXXX`` masks and long digit runs (order numbers) are dropped: they carry no meaning for
similarity.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from tools.jieba_loader import cut_words
from tools.pii import PLACEHOLDER

__all__ = [
    "case_text",
    "char_ngrams",
    "content_hash",
    "is_chinese",
    "normalize_for_hash",
    "tokenize",
]


def _words(block: str) -> list[str]:
    return block.split()


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_SEGMENTS = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z'’]*|\d+(?:\.\d+)?")
_MASKS = re.compile(r"\b[xX]{2,}\b")

_EN_STOP = frozenset(
    _words(
        """
        a about above after again against all am an and any are as at be because been before
        being below between both but by can could did do does doing down during each few for
        from further had has have having he her here hers herself him himself his how i if in
        into is it its itself just me more most my myself no nor not now of off on once only or
        other our ours ourselves out over own same she should so some such than that the their
        theirs them themselves then there these they this those through to too under until up
        very was we were what when where which while who whom why will with would you your yours
        yourself yourselves s t don didn doesn isn wasn weren ve ll re d m o y also get got
        """
    )
)
_ZH_STOP = frozenset(
    _words(
        """
        的 了 是 我 你 他 她 它 们 我们 你们 在 也 就 都 和 跟 与 及 或 这 那 这个 那个
        一个 有 没 没有 吗 吧 呢 啊 呀 哦 嗯 么 什么 怎么 还 又 很 太 都 被 把 给 让 对
        向 从 到 为 为了 因为 所以 但是 而且 然后 不 说 要 会 能 可以 就是 还是 自己
        一下 一直 已经 现在 今天 你好 您好 请问 麻烦 谢谢
        """
    )
)


def case_text(subject: str | None, description: str | None) -> str:
    """The text a case is indexed by: subject and description, either may be missing."""
    parts = [p.strip() for p in (subject, description) if p and str(p).strip()]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    return "\n".join(parts)


def is_chinese(text: str) -> bool:
    """True when CJK characters make up at least a fifth of the letters."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return False
    return cjk >= 0.2 * (cjk + len(_LATIN.findall(text)))


def tokenize(text: str) -> list[str]:
    """Lexical tokens of a (masked) text: jieba words for Chinese, lower-cased English words."""
    if not text:
        return []
    text = _MASKS.sub(" ", PLACEHOLDER.sub(" ", text))
    tokens: list[str] = []
    for seg in _SEGMENTS.findall(text):
        first = seg[0]
        if "\u4e00" <= first <= "\u9fff":
            for word in cut_words(seg):
                if word not in _ZH_STOP:
                    tokens.append(word)
        elif first.isdigit():
            if len(seg) <= 4:  # model numbers, sizes, counts; not order numbers
                tokens.append(seg)
        else:
            word = seg.lower().replace("’", "'").split("'")[0]
            if len(word) > 1 and word not in _EN_STOP:
                tokens.append(_stem(word))
    return tokens


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Overlapping ``n``-character grams of each run of Chinese characters (a run shorter than
    ``n`` is kept whole). They match where jieba cuts two texts differently (热水器漏水 vs
    热水器 漏 水) and on words missing from its dictionary (fault codes, slang, typos)."""
    if not text:
        return []
    text = PLACEHOLDER.sub(" ", text)
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) <= n:
            grams.append(run)
        else:
            grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def _stem(word: str) -> str:
    """A tiny suffix stripper (plural and -ing/-ed forms); enough for BM25 on complaints."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)] + keep
    return word


def normalize_for_hash(text: str) -> str:
    """Whitespace- and case-insensitive form, used to spot exact duplicates."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


def content_hash(*parts: object) -> str:
    """A short stable hash of the given parts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]
