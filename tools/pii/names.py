"""Personal names in Chinese and English complaint text, found offline.

Chinese: jieba's part-of-speech tags (``nr`` = person name, dictionary mode so it stays as fast
as plain word cutting) combined with a surname list and three contexts that make a name
certain: a title after it (王师傅, 张伟先生, 李女士), a cue before it (客户陈晓明, 联系人：赵丽颖,
我叫刘洋) and 老/小 + surname (老李, 小王). A bare ``nr`` word is taken only when it starts with a
surname that is rarely an ordinary word (so 马上, 方便, 高兴 stay).

English: a title before capitalised words (Mr. Smith, Ms Lee), a cue before them (my name is,
technician, spoke with), a shipped list of common given names (Jennifer, Michael Brown), and
pinyin full names (Zhang Wei, Xiaoming Wang).

Recall and precision are measured on a labelled corpus: ``python -m evals.pii``.
"""

from __future__ import annotations

import re

from tools.jieba_loader import jieba_posseg
from tools.pii.name_lists import (
    EN_AMBIGUOUS_FIRST_NAMES,
    EN_FIRST_NAMES,
    EN_NOT_NAMES,
    PINYIN_SURNAMES,
    ZH_CUES,
    ZH_NOT_GIVEN,
    ZH_NR_STOP,
    ZH_SURNAMES_COMPOUND,
    ZH_SURNAMES_SINGLE,
    ZH_SURNAMES_WEAK,
    ZH_TITLES,
)
from tools.pii.zh_name_gate import may_contain_zh_name

__all__ = ["find_names"]

_FIRST = EN_FIRST_NAMES - EN_AMBIGUOUS_FIRST_NAMES
_NR_FLAGS = ("nr", "nrfg", "nrt")
_SKIP = frozenset("：: ，,、")  # between a cue and the name


def _surname_len(word: str) -> int:
    """Length of the surname ``word`` starts with (2 for 欧阳), or 0."""
    if word[:2] in ZH_SURNAMES_COMPOUND:
        return 2
    return 1 if word[:1] in ZH_SURNAMES_SINGLE else 0


def _title_suffix(word: str) -> str:
    for title in ZH_TITLES:
        if word.endswith(title) and len(word) > len(title):
            return title
    return ""


def _zh_names(text: str) -> list[tuple[int, int]]:
    if not may_contain_zh_name(text):  # exact: spares the dictionary load for most texts
        return []
    return _zh_names_tagged(text)


def _zh_names_tagged(text: str) -> list[tuple[int, int]]:
    """The names in ``text`` by jieba's tags (what ``_zh_names`` runs when the gate opens)."""
    tokens: list[tuple[int, str, str]] = []
    pos = 0
    for pair in jieba_posseg().cut(text, HMM=False):
        tokens.append((pos, pair.word, pair.flag))
        pos += len(pair.word)
    spans: list[tuple[int, int]] = []
    n = len(tokens)

    def given_after(i: int, room: int) -> int:
        """Index after the single-character given-name tokens following token ``i``."""
        j = i + 1
        while j < n and room > 0:
            word = tokens[j][1]
            if len(word) > room or any(c in ZH_NOT_GIVEN for c in word):
                break
            if not ("\u4e00" <= word[0] <= "\u9fff") or word in ZH_TITLES:
                break
            if len(word) == 2 and tokens[j][2] in ("v", "vn", "d", "p", "c", "u", "r", "m"):
                break
            room -= len(word)
            j += 1
        return j

    def is_title(j: int) -> bool:
        return j < n and tokens[j][1] in ZH_TITLES

    for i, (start, word, flag) in enumerate(tokens):
        sl = _surname_len(word)
        if sl and word not in ZH_NR_STOP and word not in ZH_CUES:
            title = _title_suffix(word)
            if title and len(word) - len(title) <= 3 and flag in _NR_FLAGS:
                spans.append((start, start + len(word) - len(title)))  # 王师傅 -> 王
                continue
            if len(word) == sl:  # a bare surname token: 张 / 伟 / 先生, 黄 / 磊
                j = given_after(i, 2)
                end = tokens[j - 1][0] + len(tokens[j - 1][1]) if j > i + 1 else start + sl
                given_nr = j > i + 1 and all(t[2] in _NR_FLAGS for t in tokens[i + 1 : j])
                strong = given_nr and word not in ZH_SURNAMES_WEAK
                after_cue = j > i + 1 and _cue_before(text, start)
                if is_title(j) or strong or after_cue or text[start - 1 : start] == "姓":
                    spans.append((start, end))
                    continue
            if (
                flag in _NR_FLAGS
                and 2 <= len(word) <= 4
                and (word[0] not in ZH_SURNAMES_WEAK or _cue_before(text, start))
            ):
                spans.append((start, start + len(word)))
                continue
        if word in ("老", "小") and i + 1 < n and tokens[i + 1][1] in ZH_SURNAMES_SINGLE:
            nxt = tokens[i + 2][1] if i + 2 < n else ""
            # 小王也 / 小陈明天: the surname is not followed by a one-character given name
            ends = not nxt or nxt[0] in ZH_NOT_GIVEN or not _is_han(nxt[0]) or len(nxt) > 1
            if ends or nxt in ZH_TITLES:
                spans.append((start, start + 2))
        elif (
            len(word) == 2
            and word[0] in "老小"
            and word[1] in ZH_SURNAMES_SINGLE
            and (flag in _NR_FLAGS or word[1] not in ZH_SURNAMES_WEAK)
        ):
            spans.append((start, start + 2))  # 老李, 小张
    return spans


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _cue_before(text: str, start: int) -> bool:
    """True when a cue word (客户, 联系人：, 我叫 ...) ends right before ``start``."""
    before = text[max(0, start - 8) : start].rstrip(" ：:，,、")
    return before.endswith(ZH_CUES)


_CAP = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_EN_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Madam|Mme)\.?[ \t]+(" + _CAP + r"(?:[ \t]+" + _CAP + r")?)"
)
_EN_CUE = re.compile(
    r"(?i:\b(?:my name is|name is|name:|named|i am|i'm|this is|signed,?|regards,|thanks,|"
    r"spoke (?:to|with)|talked (?:to|with)|speaking with|technician|engineer|agent|"
    r"representative|rep|supervisor|manager|customer|contact(?:ed)?|called|cc|attn))"
    r":?[ \t]+(" + _CAP + r"(?:[ \t]+" + _CAP + r"){0,2})"
)
_CAP_WORD = re.compile(r"\b" + _CAP + r"\b")
_PINYIN = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|iao|ian|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|"
    r"ue|ui|er|a|o|e|i|u|v)){1,3}"
)
_STRONG_CUES = ("my name", "name is", "name:", "named", "signed", "regards", "thanks")


def _is_pinyin(word: str) -> bool:
    return bool(_PINYIN.fullmatch(word.lower())) and word not in EN_NOT_NAMES


def _name_words(words: list[str]) -> list[str]:
    """The leading words that can be part of a name (stop at a non-name capitalised word)."""
    out = []
    for w in words:
        if w in EN_NOT_NAMES:
            break
        out.append(w)
    return out


def _en_names(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []

    def add_words(group_start: int, group: str, keep: int) -> None:
        words = group.split()[:keep]
        if words:
            spans.append((group_start, group_start + len(" ".join(words))))

    for m in _EN_TITLE.finditer(text):
        words = _name_words(m.group(1).split())
        if words:
            add_words(m.start(1), m.group(1).replace("\t", " "), len(words))
    for m in _EN_CUE.finditer(text):
        words = _name_words(m.group(1).split())
        if not words:
            continue
        cue = m.group(0)[: m.start(1) - m.start()].lower()
        first = words[0]
        known = first in EN_FIRST_NAMES or first in EN_AMBIGUOUS_FIRST_NAMES
        known = known or first in PINYIN_SURNAMES or (len(words) > 1 and _is_pinyin(first))
        if known or any(c in cue for c in _STRONG_CUES) or len(words) > 1:
            add_words(m.start(1), m.group(1).replace("\t", " "), len(words))
    for m in _CAP_WORD.finditer(text):
        word = m.group()
        nxt = _CAP_WORD.match(text, m.end() + 1) if text[m.end() : m.end() + 1] == " " else None
        nxt_word = nxt.group() if nxt and nxt.group() not in EN_NOT_NAMES else None
        if word in _FIRST or (word in EN_AMBIGUOUS_FIRST_NAMES and nxt_word):
            spans.append((m.start(), nxt.end() if nxt_word and nxt else m.end()))
        elif nxt_word and (
            (word in PINYIN_SURNAMES and _is_pinyin(nxt_word))
            or (nxt_word in PINYIN_SURNAMES and _is_pinyin(word) and word not in PINYIN_SURNAMES)
        ):
            spans.append((m.start(), nxt.end() if nxt else m.end()))
    return spans


def find_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of personal names in ``text`` (already width-normalised); may overlap."""
    return _zh_names(text) + _en_names(text)
