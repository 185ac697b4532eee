"""What handlers share: mentions in Slack text, request names, and rendering answers.

Pasted text goes to the service as Slack delivered it: the knowledge core reads Slack's
markup (``&lt;``, ``<https://...|...>``, ``<@U123>``) itself.
"""

from __future__ import annotations

import re
from typing import Any

from bot.render.blocks import Message, render_diagnosis, render_image, render_usage
from bot.render.incident_blocks import with_note
from bot.service import Answer, Explained, ImageInfo, Usage


def without_mention(slack_text: str, user_id: str | None) -> str:
    """The text with mentions of ``user_id`` (the bot) removed."""
    if not user_id:
        return slack_text
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", " ", slack_text)


def mentions(slack_text: str, user_id: str | None) -> bool:
    """Whether the text mentions ``user_id``."""
    return bool(user_id) and f"<@{user_id}" in slack_text


def request_id(body: dict[str, Any]) -> str:
    """A name for the request in logs: its event id, or its trigger id."""
    if event_id := body.get("event_id"):
        return f"event {event_id}"
    if trigger_id := body.get("trigger_id"):
        return f"trigger {trigger_id}"
    return "request without id"


def thread_of(message: dict[str, Any]) -> str:
    """Where a reply to ``message`` goes: its thread, or a new thread under it."""
    return str(message.get("thread_ts") or message["ts"])


def render_answer(answer: Answer, *, shareable: bool, probe: bool) -> Message:
    """The message for an answer to someone who asked."""
    match answer:
        case Usage():
            return render_usage()
        case ImageInfo(image=image, family=family):
            return render_image(image, family, probe=probe)
        case Explained(diagnosis=diagnosis, incident=note):
            return with_note(render_diagnosis(diagnosis, shareable=shareable and answer.named,
                                              probe=probe), note)
