"""Logging as JSON lines, with secrets masked out of every line.

``registry-why serve`` calls ``configure_logging`` at start: every log record becomes one JSON
object on one line (``time``, ``level``, ``logger``, ``message``, plus a handled request's fields,
see ``bot.observe``). Before a line is written, the values of the bot's own secrets (tokens,
signing secret, Redis password) and anything shaped like a credential (the same masking pastes
get) are replaced, so a secret that reaches a log message by accident still never reaches the
log. What libraries log with request bodies in it (Bolt, the Slack SDK and aiohttp at DEBUG
level, Bolt's note on a bad signature) is dropped whatever the level: pasted text is never
logged. Nor are the probe's request URLs (httpx at INFO level).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from bot.observe import FIELDS
from bot.settings import Settings
from knowledge import mask_secrets

QUIET_LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "httpx", "httpcore", "redis",
                   "registry-why")
"""Loggers whose DEBUG records are dropped: they print request bodies and headers (Bolt names
the loggers it hands to listeners after the app: ``registry-why:<listener>``)."""
URL_LOGGING_LIBRARIES = ("httpx", "httpcore")
"""Loggers whose INFO records are dropped too: httpx logs every request's URL at INFO, and the
probe's token requests carry the operator's account name in theirs."""
_BODY_MESSAGES = ("Invalid request signature detected",)
"""INFO messages of Bolt's that quote a request body (our own request line records these)."""
_MIN_SECRET = 6
"""Shorter values are not masked literally (they would mask ordinary words)."""
_RESPONSE_URL = re.compile(
    r"(https?://[^\s\"'<>/]+(?:/[^\s\"'<>/]+)*?/(?:commands|actions|services|response)/)"
    r"[^\s\"'<>]+")
"""A Slack response URL (``hooks.slack.com/commands/...``, or a Slack-compatible endpoint's
``.../response/...``): whoever holds one can post as the bot, and the Slack SDK logs it when it
retries a post (429, 5xx)."""


class Masker:
    """Replaces known secret values, then anything shaped like a credential."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def hide(self, *values: str) -> None:
        """Mask these exact values from now on."""
        self._values.update(v for v in values if len(v) >= _MIN_SECRET)

    def __call__(self, text: str) -> str:
        # Longest first, so a URL holding a password goes whole before the password alone.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, "[REDACTED setting]")
        text = _RESPONSE_URL.sub(r"\1[REDACTED response_url]", text)
        return mask_secrets(text)[0]


MASK = Masker()
"""The process's masker, used by every JSON line."""


def hide(*values: str) -> None:
    """Never log these values (for secrets read outside Settings, such as registry passwords)."""
    MASK.hide(*values)


def settings_secrets(settings: Settings) -> list[str]:
    """The secret values in ``settings``: tokens, signing secret, Redis URL and its password."""
    values = [s.get_secret_value() for s in (settings.slack_bot_token, settings.slack_app_token,
                                             settings.slack_signing_secret, settings.redis_url)
              if s is not None]
    if settings.redis_url is not None:
        password = urlsplit(settings.redis_url.get_secret_value()).password
        if password:
            values.append(password)
    return values


class LibraryBodies(logging.Filter):
    """Drops the library records that carry request bodies or URLs (see QUIET_LIBRARIES and
    URL_LOGGING_LIBRARIES)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(QUIET_LIBRARIES):
            return True
        if record.levelno < logging.INFO:
            return False
        if record.name.startswith(URL_LOGGING_LIBRARIES) and record.levelno < logging.WARNING:
            return False
        return not (isinstance(record.msg, str) and record.msg.startswith(_BODY_MESSAGES))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, every string in it masked."""

    def __init__(self, mask: Masker = MASK) -> None:
        super().__init__()
        self._mask = mask

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self._mask(record.getMessage()),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            entry.update({k: self._mask(v) if isinstance(v, str) else v
                          for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["error"] = self._mask(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._mask(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    *, level: int | str = logging.INFO, secrets: Iterable[str] = (),
    stream: IO[str] | None = None, force: bool = False,
) -> bool:
    """Send all logging to ``stream`` (stderr) as masked JSON lines; False (and nothing changed)
    when logging was already configured by whoever runs the bot, unless ``force``."""
    hide(*secrets)
    root = logging.getLogger()
    if root.handlers and not force:
        return False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LibraryBodies())
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return True
