"""Phonetic codes for names: NYSIIS (New York State Identification and Intelligence System) and Soundex.

NYSIIS keys names that sound alike but are spelled differently ('Meyer', 'Maier', 'Mayer' -> 'MAYAR')
and is more precise than Soundex on European surnames; Soundex is kept as a coarser second code.
Both take a cleaned name (lowercase ASCII letters; spaces are ignored).
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("AEIOU")
_FIRST = (("MAC", "MCC"), ("KN", "NN"), ("K", "C"), ("PH", "FF"), ("PF", "FF"), ("SCH", "SSS"))
_LAST = (("EE", "Y"), ("IE", "Y"), ("DT", "D"), ("RT", "D"), ("RD", "D"), ("NT", "D"), ("ND", "D"))


@lru_cache(maxsize=200_000)
def nysiis(name: str, max_len: int = 6) -> str:
    """The NYSIIS code of a name, truncated to `max_len` (0 = no truncation).

    One change to the original: a Y inside a word counts as a vowel, so 'Smyth' ~ 'Smith' and
    'Meyer' ~ 'Maier'.
    """
    word = "".join(ch for ch in name.upper() if "A" <= ch <= "Z")
    if not word:
        return ""
    for old, new in _FIRST:
        if word.startswith(old):
            word = new + word[len(old):]
            break
    for old, new in _LAST:
        if word.endswith(old):
            word = word[: -len(old)] + new
            break
    key = [word[0]]
    chars = list(word)
    i = 1
    while i < len(chars):
        ch = chars[i]
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if ch == "E" and nxt == "V":
            chars[i:i + 2] = ["A", "F"]
        elif ch in _VOWELS or (ch == "Y" and nxt):  # a Y inside a word is a vowel (Smyth ~ Smith)
            chars[i] = "A"
        elif ch == "Q":
            chars[i] = "G"
        elif ch == "Z":
            chars[i] = "S"
        elif ch == "M":
            chars[i] = "N"
        elif ch == "K":
            chars[i] = "N" if nxt == "N" else "C"
        elif ch == "S" and chars[i + 1:i + 3] == ["C", "H"]:
            chars[i:i + 3] = ["S", "S", "S"]
        elif ch == "P" and nxt == "H":
            chars[i:i + 2] = ["F", "F"]
        elif (ch == "H" and (chars[i - 1] not in _VOWELS or (nxt and nxt not in _VOWELS))) or \
                (ch == "W" and chars[i - 1] in _VOWELS):
            chars[i] = chars[i - 1]
        if chars[i] != key[-1]:
            key.append(chars[i])
        i += 1
    code = "".join(key)
    if len(code) > 1 and code.endswith("S"):
        code = code[:-1]
    if len(code) > 1 and code.endswith("AY"):
        code = code[:-2] + "Y"
    if len(code) > 1 and code.endswith("A"):
        code = code[:-1]
    return code[:max_len] if max_len else code


_SOUNDEX = {**dict.fromkeys("BFPV", "1"), **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"),
            "L": "4", **dict.fromkeys("MN", "5"), "R": "6"}


@lru_cache(maxsize=200_000)
def soundex(name: str) -> str:
    """American Soundex: first letter and three digits ('Robert' and 'Rupert' -> 'R163')."""
    word = "".join(ch for ch in name.upper() if "A" <= ch <= "Z")
    if not word:
        return ""
    digits = []
    last = _SOUNDEX.get(word[0], "")
    for ch in word[1:]:
        code = _SOUNDEX.get(ch, "")
        if code and code != last:
            digits.append(code)
        if ch not in "HW":  # H and W do not separate letters with the same code
            last = code
    return (word[0] + "".join(digits) + "000")[:4]
