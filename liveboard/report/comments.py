"""What viewers wrote: the most frequent words and emoji of a session's comments.

Counting is by Unicode category, not by language, so it works for the mixed scripts of one LIVE (English, Malay,
Indonesian, Vietnamese, Spanish stop words are left out; scripts without spaces count as whole phrases).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

import pandas as pd

STOP_WORDS = frozenset(
    """
    a an and are as at be been but by can do does did for from has have he her him his how i if in into is it its
    just me my no not of on or our so that the their them then there these they this to too up us was we were what
    when where which who why will with would you your yours im it's i'm u ur pls please lol ok okay yes yeah
    ada ini itu ke ni tak nak dah untuk dan yang di dari boleh saya aku kak kakak dong sudah mau ya nya je la lah
    sih kan juga bisa apa tidak belum
    có không được với về và là của cho này đã ạ vậy shop quá
    el la los las de del que y en un una por para con me lo se es ya qué
    """.split()
)
_PUNCT_CATS = ("P", "S", "Z", "C")


def comment_words(texts: Sequence[str] | pd.Series, top: int = 15) -> list[tuple[str, int]]:
    """Most frequent words: split on white space, strip punctuation and symbols, lower-case, drop stop words,
    numbers and one-letter tokens (scripts without spaces, e.g. Thai, count as whole phrases)."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        for raw in text.split():
            chars = [c for c in raw if not unicodedata.category(c).startswith(_PUNCT_CATS) or c in "'’-"]
            word = "".join(chars).strip("'’-").lower()
            if len(word) < 2 or word in STOP_WORDS or not any(c.isalpha() for c in word):
                continue
            counts[word] += 1
    return counts.most_common(top)


def comment_emoji(texts: Sequence[str] | pd.Series, top: int = 12) -> list[tuple[str, int]]:
    """Most frequent emoji, counted per character of Unicode category ``So`` (Symbol, other): variation
    selectors, skin-tone modifiers and joiners are not counted."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        for c in text:
            if unicodedata.category(c) == "So" and c not in "©®":
                counts[c] += 1
    return counts.most_common(top)
