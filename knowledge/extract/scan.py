"""The paste, split into its words once, and the helpers every extraction pattern is built with.

A literal is searched for only when the words inside it all occur, so most literals cost a set
lookup. At most ``MAX_MATCHES`` matches of a pattern are looked at, so the time is linear in the
size of the paste.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from itertools import islice

Q = r'\\?"'  # a quote, escaped inside a logfmt msg="..." field

MAX_MATCHES = 256
"""At most this many matches of one pattern are looked at: a real paste has far fewer, and the
cap bounds the work a hostile paste can cause."""


def rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with ``re.ASCII``: ``\\w``, ``\\s`` and ``\\b`` are ASCII only."""
    return re.compile(pattern, re.ASCII)


def matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The first ``MAX_MATCHES`` matches of ``regex`` in ``text``."""
    return islice(regex.finditer(text), MAX_MATCHES)


def word_char_before(text: str, index: int) -> bool:
    """Whether the character before ``index`` continues a word (a name, a flag, a code)."""
    return index > 0 and (text[index - 1].isalnum() or text[index - 1] in "_-")


_WORD_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789"
_SEPARATE = bytes(c if c in _WORD_BYTES else 32 for c in range(256))  # a bytes.translate table
_RUN = re.compile(r"[a-z0-9]+")


class ScannedText(dict[str, bool]):
    """The paste, its words, and whether it contains a literal: ``scanned["docker://"]``.

    Literals must start and end at word boundaries (see ``words_of``).
    """

    __slots__ = ("text", "words")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.words = frozenset(
            text.lower().encode("ascii", "replace").translate(_SEPARATE).split()
        )

    def __missing__(self, literal: str) -> bool:
        found = self[literal] = words_of(literal) <= self.words and literal in self.text
        return found

    def any_of(self, literals: tuple[str, ...]) -> bool:
        """Whether the paste contains one of ``literals``."""
        return any(self[literal] for literal in literals)

    def has_word(self, word: bytes) -> bool:
        """Whether ``word`` (lower case a-z0-9) is one of the paste's words."""
        return word in self.words


@functools.cache
def words_of(literal: str) -> frozenset[bytes]:
    """The words of a literal. Literals here start and end at word boundaries (``Failed to
    pull image``, not ``ailed to pull imag``), so the paste holds each of these words."""
    return frozenset(m[0].encode() for m in _RUN.finditer(literal.lower()))
