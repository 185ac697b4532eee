"""Reading Slack payloads: the text of a message to diagnose, wherever in the message the error
is; whether a message event is a person's paste; mentions; where a reply goes.

People paste errors into ``text``; CI/CD and monitoring apps put them in attachments (``pretext``,
``title``, ``text``, ``fields``, ``fallback``) and in Block Kit blocks (section, header, context,
rich text). A message read for a shortcut or a mention is diagnosed on all of it::

    message_text({"text": "", "attachments": [{"text": "denied: ..."}]})  # "denied: ..."
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any


def message_text(message: Mapping[str, Any]) -> str:
    """The message's text, attachments and blocks as one text, each distinct part once."""
    parts: list[str] = []
    for part in _parts(message):
        part = part.strip()
        if part and part not in parts:
            parts.append(part)
    return "\n".join(parts)


def _parts(message: Mapping[str, Any]) -> Iterator[str]:
    yield _str(message.get("text"))
    yield from _blocks(message.get("blocks"))
    for attachment in _dicts(message.get("attachments")):
        yield from _attachment(attachment)


def _attachment(attachment: Mapping[str, Any]) -> Iterator[str]:
    for name in ("pretext", "title", "text"):
        yield _str(attachment.get(name))
    for field in _dicts(attachment.get("fields")):
        yield _str(field.get("title"))
        yield _str(field.get("value"))
    yield from _blocks(attachment.get("blocks"))
    # The fallback summarises the rest: only worth reading when there is nothing else.
    if not any(_str(attachment.get(name)) for name in ("pretext", "title", "text")):
        yield _str(attachment.get("fallback"))


def _blocks(blocks: object) -> Iterator[str]:
    for block in _dicts(blocks):
        kind = block.get("type")
        if kind in ("section", "header"):
            yield _text_object(block.get("text"))
            for field in _dicts(block.get("fields")):
                yield _text_object(field)
        elif kind == "context":
            for element in _dicts(block.get("elements")):
                yield _text_object(element)
        elif kind == "rich_text":
            yield "\n".join(_rich_text(block.get("elements")))


def _rich_text(elements: object) -> Iterator[str]:
    """One line per rich text section, quote, preformatted block or list item."""
    for element in _dicts(elements):
        if element.get("type") == "rich_text_list":
            yield from _rich_text(element.get("elements"))
        else:
            yield "".join(_str(leaf.get("text") or leaf.get("url"))
                          for leaf in _dicts(element.get("elements")))


def _text_object(value: object) -> str:
    return _str(value.get("text")) if isinstance(value, Mapping) else ""


def _dicts(value: object) -> Iterator[Mapping[str, Any]]:
    # Payloads come from other apps: anything not shaped as expected is skipped.
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


PASTE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
"""Message subtypes a person's paste can have; edits, joins, deletions and bots are others."""


def without_mention(slack_text: str, user_id: str | None) -> str:
    """The text with mentions of ``user_id`` (the bot) removed."""
    if not user_id:
        return slack_text
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", " ", slack_text)


def mentions(slack_text: str, user_id: str | None) -> bool:
    """Whether the text mentions ``user_id``."""
    return bool(user_id) and f"<@{user_id}" in slack_text


def is_paste(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Whether a message event is something a person posted that the bot may answer.

    Messages mentioning the bot are left to the mention listener, which answers those.
    """
    text = event.get("text") or ""
    return (
        event.get("subtype") in PASTE_SUBTYPES
        and not event.get("bot_id")
        and not event.get("hidden")
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
        and bool(text.strip())
        and not mentions(text, bot_user_id)
    )


def request_id(body: Mapping[str, Any]) -> str:
    """A name for the request in logs: its event id, or its trigger id."""
    if event_id := body.get("event_id"):
        return f"event {event_id}"
    if trigger_id := body.get("trigger_id"):
        return f"trigger {trigger_id}"
    return "request without id"


def thread_of(message: Mapping[str, Any]) -> str:
    """Where a reply to ``message`` goes: its thread, or a new thread under it."""
    return str(message.get("thread_ts") or message["ts"])
