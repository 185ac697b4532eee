"""Turn what people paste into Slack or a terminal into plain text lines.

A paste arrives wrapped in layers that hide the error from simple patterns: Slack markup and
HTML entities, Markdown code fences, terminal colour codes, invisible or look-alike Unicode,
CI log prefixes, download progress bars, and registry error bodies as JSON. ``normalize``
removes those layers and keeps every line that could carry the cause.

Pastes can be large and hostile, so every step is one scan in C (``str`` methods or a regular
expression whose repeats cannot overlap) or a Python loop over a bounded number of items: the
cost is linear in the size of the paste. Nothing here raises on odd input.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterator

__all__ = ["normalize"]

# --- characters --------------------------------------------------------------------------------

# C0/C1 controls except tab, newline, carriage return and escape (the last two are read later).
_ASCII_JUNK = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D, 0x1B)) + b"\x7f"
_UNICODE_JUNK = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x84\x86-\x9a\x9c-\x9f"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
"""Invisible characters: controls, soft hyphen, zero-width spaces and joiners, bidi controls."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_COMMON_FORMS = {"\u00a0": " ", "\u202f": " ", "\u3000": " ", "\u2026": "..."}
"""The commonest compatibility forms (NBSP, ellipsis), replaced without NFKC: it is faster."""
# The other compatibility look-alikes that NFKC turns into plain text: spaces, super- and
# subscripts, letterlike and number forms, circled digits, ligatures, small and fullwidth forms,
# math letters. Only runs of these are normalised: NFKC over all of a megabyte costs more than
# every other step together, and outside these ranges it can expand a character 18-fold.
_COMPATIBILITY_FORMS = re.compile(
    "[\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u2000-\u200a\u2024\u2025"
    "\u205f\u2070-\u209f\u2100-\u218f\u2460-\u24ff\ufb00-\ufb06\ufe50-\ufe6b"
    "\uff01-\uffee\U0001d400-\U0001d7ff]+"
)
_LOOK_ALIKES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2212": "-",
    # Editors and chat clients turn "--" into a dash; an option like --password must survive.
    "\u2013": "--",
    "\u2014": "--",
    "\u2015": "--",
    "\u0085": "\n",
    "\u2028": "\n",
    "\u2029": "\n",
}
"""Characters NFKC keeps that still stand for ASCII ones: smart quotes, dashes, line separators."""

# --- terminal escapes --------------------------------------------------------------------------

_ANSI = re.compile(
    r"\x1b(?:"
    r"\[[0-?]{0,64}[ -/]{0,16}[@-~]?"  # CSI: colours, cursor moves, erase line
    r"|\][^\x07\x1b\n]{0,4096}(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|[()*+][0-9A-Za-z]|[78=>cDEHMNOZ\\]"  # charset choice, save/restore cursor, reset
    r")?"  # or a lone ESC
)
_C1_CSI = re.compile(r"\x9b[0-?]{0,64}[ -/]{0,16}[@-~]?")
# Colour codes whose ESC byte was lost on the way (Slack drops control characters).
_STRAY_SGR = re.compile(r"\[\d{1,3}(?:;\d{0,3}){0,15}[mK](?!\])")

# --- Slack -------------------------------------------------------------------------------------

_SLACK_QUOTE = re.compile(r"\n&gt;[ \t]?")
_SLACK_TOKEN = re.compile(
    r"<(?:([@#][A-Z][A-Z0-9]{1,30}(?:\|[^<>\n]{0,200})?"
    r"|!(?:here|channel|everyone|subteam\^[A-Z0-9]{1,30}|date\^[^<>|\n]{1,300})(?:\|[^<>\n]{0,300})?)"
    r"|((?:[A-Za-z][A-Za-z0-9+.-]{0,20}://|mailto:|tel:)[^<>|\s]{1,4000})(?:\|([^<>\n]{0,1000}))?"
    r")>"
)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#39|#x27);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "#39": "'", "#x27": "'"}

# --- lines (the text is framed as "\n" + text + "\n" while these run) -------------------------

_FENCE_LINE = re.compile(r"\n[ \t]*`{3,}[a-z0-9+#.-]{0,20}[ \t]*(?=\n)")
_CI_COMMAND = (
    r"##\[[A-Za-z]{1,16}\]"  # GitHub Actions: ##[error], ##[group], ##[endgroup]
    r"|::(?:error|warning|notice|debug|group|endgroup)(?:[ \t][^\n:]{0,300})?::"
)
_CI_PREFIX = re.compile(
    r"\n(?:"
    # GitHub Actions, docker logs -t, kubectl logs --timestamps; GitLab adds a stream id (00O+).
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z[ \t](?:[0-9a-f]{2}[OE]\+?[ \t])?"
    rf"(?:{_CI_COMMAND})?"
    rf"|{_CI_COMMAND}"
    r"|section_(?:start|end):\d{1,12}:[A-Za-z0-9_.-]{1,200}(?:\[[^\]\n]{0,200}\])?"  # GitLab
    r")"
)
_PROGRESS_LINE = re.compile(
    r"\n[ \t]*(?:"
    # docker pull / push, one line per layer
    r"[0-9a-f]{12,64}: (?:Pulling fs layer|Waiting|Verifying Checksum|Download complete"
    r"|Pull complete|Already exists|Preparing|Pushed|Layer already exists|Mounted from [^\n]{1,200}"
    r"|(?:Downloading|Extracting|Pushing)(?:[ \t][^\n]{0,200})?)"
    # buildkit --progress=plain and its TTY view
    r"|#\d{1,6} (?:extracting )?sha256:[0-9a-f]{64}"
    r"(?: [\d.]{1,12}[kKMGT]?i?B / [\d.]{1,12}[kKMGT]?i?B)?(?: [\d.]{1,12}s)?(?: done)?"
    r"|=> => (?:extracting )?sha256:[0-9a-f]{64}[^\n]{0,100}"
    # skopeo / podman copy with a progress bar
    r"|Copying (?:blob|config) [^\n\[]{1,200}\[[=>\-+# .]{2,200}\][^\n]{0,100}"
    r")[ \t]*(?=\n)"
)
# Go's TLS errors pasted from wrapped terminals or retyped: "x 509", "x509:" at the end of a
# line with its cause on the next, spaces stretched by column alignment.
_SPACED_X509 = re.compile(r"\bx[ \t]{1,8}509:")
_X509_CAUSE = re.compile(r"x509:(?:[ \t]{0,20}\n)?[^\n]{1,300}")
_TRAILING_SPACE = re.compile(r"[ \t](?<![ \t][ \t])[ \t]*+(?=\n)")
_BLANK_RUN = re.compile(r"\n\n\n+")

# --- registry error bodies ---------------------------------------------------------------------

_ERRORS_KEY = re.compile(r'(\\{0,7})"errors\\{0,7}"[ \t\r\n]{0,20}:[ \t\r\n]{0,20}')
_ONE_LEVEL_ESCAPE = re.compile(r'\\(["\\/])')
_CODE_AND_MESSAGE = re.compile(
    r'"code"[ \t]{0,5}:[ \t]{0,5}"([A-Za-z][A-Za-z0-9_.-]{0,63})"'
    r'(?:[^{}]{0,400}?"message"[ \t]{0,5}:[ \t]{0,5}"((?:[^"\\\n]|\\.){0,500}))?'
)
_WHITESPACE = re.compile(r"\s+")
_MAX_ERRORS = 32
_MAX_BODY = 8192
"""Registry error bodies are a few hundred bytes with an error or two: these bounds (bodies per
paste, errors per body, characters per body) cap the work on hostile text."""
_MAX_MESSAGE = 500


def normalize(raw: str) -> str:
    """Return ``raw`` as plain text lines, with the layers that hide an error removed.

    Removes Slack markup (links, mentions, entities, quotes), code fences and backticks,
    terminal escapes, invisible and look-alike Unicode, CI log prefixes (GitHub Actions, GitLab,
    ``docker logs -t``) and download progress lines; turns CR LF and lone CR into line breaks;
    collapses blank runs. After a line holding an OCI error body (``{"errors": [...]}``, even
    escaped inside a log string) it adds one readable ``CODE: message`` line per error.
    Never raises; linear in the size of ``raw``.
    """
    text = _clean_characters(raw)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\x9b" in text:
        text = _C1_CSI.sub("", text)
    if "[" in text:
        text = _STRAY_SGR.sub("", text)
    text = "\n" + text + "\n"
    text = _unslack(text)
    if "`" in text:
        text = _FENCE_LINE.sub("", text).replace("`", "")
    text = _CI_PREFIX.sub("\n", text)
    text = _PROGRESS_LINE.sub("", text)
    if "errors" in text:
        text = _explain_error_bodies(text)
    if "509:" in text:
        text = _X509_CAUSE.sub(_one_line, _SPACED_X509.sub("x509:", text))
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return _join_hard_wraps(text.strip("\n"))


_MIN_WRAP = 60
"""Terminals and mail clients wrap at 72 to 200 columns; shorter equal lines are coincidence."""


def _join_hard_wraps(text: str) -> str:
    """Undo a hard wrap: a paste cut at a fixed width (``... unauthorized: authe`` /
    ``ntication required``) has several lines of exactly that width and none longer."""
    lines = text.split("\n")
    lengths = list(map(len, lines))
    width = max(lengths)
    at_width = lengths.count(width)
    if width < _MIN_WRAP or at_width < 2:
        return text
    # A log line pasted twice is not a wrap: a wrapped paste has many different lines cut at
    # the width, at least half of its long lines.
    if 2 * at_width < sum(length > width // 2 for length in lengths):
        return text
    if len({line for line, length in zip(lines, lengths, strict=True) if length == width}) < 2:
        return text
    joined: list[str] = []
    carry = ""
    for line, length in zip(lines, lengths, strict=True):
        if length == width:
            carry += line
        else:
            joined.append(carry + line)
            carry = ""
    if carry:
        joined.append(carry)
    return "\n".join(joined)


def _one_line(match: re.Match[str]) -> str:
    return " ".join(match.group().split())


def _clean_characters(text: str) -> str:
    if text.isascii():
        encoded = text.encode("ascii")
        cleaned = encoded.translate(None, _ASCII_JUNK)
        return text if len(cleaned) == len(encoded) else cleaned.decode("ascii")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: halves of a pair that was cut apart
        text = _SURROGATE.sub("\ufffd", text)
    text = _UNICODE_JUNK.sub("", text)
    # str.replace scans cost a fraction of a regex with a per-match callback.
    text = _replace_all(text, _COMMON_FORMS)
    if not unicodedata.is_normalized("NFKC", text):
        text = _COMPATIBILITY_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _replace_all(text, _LOOK_ALIKES)


def _replace_all(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if old in text:
            text = text.replace(old, new)
    return text


def _unslack(text: str) -> str:
    if "&gt;" in text:
        text = _SLACK_QUOTE.sub("\n", text)
    if "<" in text:
        text = _SLACK_TOKEN.sub(_slack_token_text, text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
    return text


def _slack_token_text(match: re.Match[str]) -> str:
    special = match.group(1)
    if special is not None:
        return _slack_reference_text(special)
    url, label = match.group(2), match.group(3)
    if url.startswith("mailto:"):
        url = url[len("mailto:") :]
    if not label or label == url:
        return url
    # Slack links a typed host or image reference as <http://host/x|host/x>: what was typed is
    # the label, and the scheme Slack added would make it a different reference.
    _, _, bare = url.partition("://")
    if label == bare or label == bare.rstrip("/"):
        return label
    if "://" in label:
        return url
    return f"{label} ({url})"


def _slack_reference_text(body: str) -> str:
    # Mentions and channel links become plain words, so echoing them pings no one.
    ref, _, label = body[1:].partition("|")
    if body[0] == "#":
        return "#" + (label or ref)
    if body[0] == "@":
        return "@" + (label or ref)
    if label:  # <!subteam^S123|@team>, <!date^...|fallback text>
        return label
    return "@" + ref.rpartition("^")[2]  # <!here>, <!channel>, <!subteam^S123>


# --- registry error bodies ---------------------------------------------------------------------


def _explain_error_bodies(text: str) -> str:
    """Add ``CODE: message`` lines after each line that holds an OCI ``errors`` body."""
    additions: dict[int, list[str]] = {}
    for count, match in enumerate(_ERRORS_KEY.finditer(text)):
        if count == _MAX_ERRORS:
            break
        level = (len(match.group(1)) + 1).bit_length() - 1
        end, lines = _read_error_body(text, match.end(), level)
        if not lines:
            continue
        line_end = text.find("\n", max(end - 1, match.end()))
        pending = additions.setdefault(line_end, [])
        pending.extend(line for line in lines if line not in pending)
    if not additions:
        return text
    parts: list[str] = []
    start = 0
    for line_end in sorted(additions):
        parts.append(text[start:line_end])
        parts.extend("\n" + line for line in additions[line_end])
        start = line_end
    parts.append(text[start:])
    return "".join(parts)


def _read_error_body(text: str, value_start: int, level: int) -> tuple[int, list[str]]:
    """Parse the ``errors`` array at ``value_start``; return where it ends and its lines.

    ``level`` is how many times the JSON was escaped into strings (``{\\"errors\\": ...}``).
    Escaped bodies sit on one line, so they are read to the end of that line only.
    """
    if level:
        line_end = text.find("\n", value_start)
        body = text[value_start : min(line_end, value_start + _MAX_BODY)]
        for _ in range(level):
            body = _ONE_LEVEL_ESCAPE.sub(r"\1", body)
        consumed = line_end - value_start
    else:
        body = text[value_start : value_start + _MAX_BODY]
        consumed = 0
    try:
        errors, parsed_end = json.JSONDecoder().raw_decode(body)
    except (ValueError, RecursionError):
        lines = list(_salvage(body[: body.find("\n") if "\n" in body else None]))
        return value_start + consumed, lines
    if not level:
        consumed = parsed_end
        # A pretty-printed body closes its object on a later line: add the lines after that.
        rest = body[parsed_end:]
        closing = len(rest) - len(rest.lstrip())
        if rest[closing : closing + 1] == "}":
            consumed += closing + 1
    return value_start + consumed, list(_error_lines(errors))


def _error_lines(errors: object) -> Iterator[str]:
    if not isinstance(errors, list):
        return
    for error in errors[:_MAX_ERRORS]:
        if not isinstance(error, dict):
            continue
        code, message = error.get("code"), error.get("message")
        if not isinstance(code, str) or not code.strip():
            continue
        yield _error_line(code, message if isinstance(message, str) else "")


def _salvage(body: str) -> Iterator[str]:
    """Code and message pairs from a body that is not valid JSON (cut short, or mangled)."""
    for count, match in enumerate(_CODE_AND_MESSAGE.finditer(body)):
        if count == _MAX_ERRORS:
            return
        code, message = match.group(1), match.group(2) or ""
        # A message that does not decode (cut off mid-escape) stays as written: still readable.
        with contextlib.suppress(ValueError):
            message = json.loads(f'"{message}"')
        yield _error_line(code, message)


def _error_line(code: str, message: str) -> str:
    code = _WHITESPACE.sub(" ", code).strip()[:64]
    message = _WHITESPACE.sub(" ", message).strip()[:_MAX_MESSAGE]
    return f"{code}: {message}" if message else code
