"""``WWW-Authenticate`` challenges (RFC 9110 §11.6.1), as registries send them.

A header may hold several challenges (``Negotiate, Basic realm="x"``), a response may carry
several headers, quoted values may hold commas (``scope="repository:a:pull,push"``), and some
registries leave values unquoted (``service=gcr.io``). Scheme and parameter names are
case-insensitive and come out lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[0-9A-Za-z._~+/-]+=*")
_SPACE = re.compile(r"[ \t]*")
_BARE_VALUE = re.compile(r"[^,\s]*")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge: a scheme (``bearer``, ``basic``) and its parameters."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str | None:
        """For Bearer, the token endpoint URL; for Basic, only a label (never fetched)."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        """The ``service`` a token request must name (absent on some registries)."""
        return self.params.get("service")

    @property
    def scope(self) -> str | None:
        """The scope the registry wanted for the refused request."""
        return self.params.get("scope")

    @property
    def error(self) -> str | None:
        """``invalid_token`` or ``insufficient_scope`` on a request that carried a token."""
        return self.params.get("error")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self, chars: str = " \t") -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if not found or not found.group():
            return None
        self.pos = found.end()
        return found.group()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def quoted(self) -> str:
        # The caller saw the opening quote.
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                break
            else:
                out.append(char)
        return "".join(out)

    def is_param_ahead(self) -> bool:
        """Whether a ``name=`` (not a new scheme, not a token68) starts here."""
        save = self.pos
        try:
            if self.match(_TOKEN) is None:
                return False
            self.match(_SPACE)
            if self.peek() != "=":
                return False
            self.pos += 1
            self.match(_SPACE)
            # ``token68`` padding looks like ``name==``; a parameter has a value after one '='.
            return self.peek() not in ("=", ",", "")
        finally:
            self.pos = save


def _parse_one_header(text: str) -> list[Challenge]:
    scan = _Scanner(text)
    challenges: list[Challenge] = []
    while True:
        scan.skip(" \t,")
        scheme = scan.match(_TOKEN)
        if scheme is None:
            break
        params: dict[str, str] = {}
        scan.match(_SPACE)
        if not scan.is_param_ahead():
            # No parameters, or a token68 blob (Negotiate/NTLM): nothing the probe uses.
            scan.match(_TOKEN68)
        while scan.is_param_ahead():
            name = (scan.match(_TOKEN) or "").lower()
            scan.match(_SPACE)
            scan.pos += 1  # '='
            scan.match(_SPACE)
            value = scan.quoted() if scan.peek() == '"' else (scan.match(_BARE_VALUE) or "")
            params.setdefault(name, value)
            scan.match(_SPACE)
            if scan.peek() != ",":
                break
            scan.pos += 1
            scan.match(_SPACE)
        challenges.append(Challenge(scheme.lower(), params))
        scan.match(_SPACE)
        if scan.peek() not in (",", ""):
            # Garbage: skip to the next comma rather than misread the rest.
            next_comma = text.find(",", scan.pos)
            if next_comma < 0:
                break
            scan.pos = next_comma
    return challenges


def parse_challenges(headers: Iterable[str]) -> tuple[Challenge, ...]:
    """Every challenge in every ``WWW-Authenticate`` value, in order."""
    found: list[Challenge] = []
    for value in headers:
        found.extend(_parse_one_header(value))
    return tuple(found)


def pick(challenges: Iterable[Challenge]) -> Challenge | None:
    """The challenge the probe answers: the first Bearer, else the first Basic, else None."""
    listed = list(challenges)
    for scheme in ("bearer", "basic"):
        for challenge in listed:
            if challenge.scheme == scheme:
                return challenge
    return None
