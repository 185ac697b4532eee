"""The message for an answer the service gave someone who asked (command, mention, shortcut)."""

from __future__ import annotations

from bot.render.blocks import Message, render_diagnosis, render_image, render_usage
from bot.render.incident_blocks import with_note
from bot.service import Answer, Explained, ImageInfo, Usage


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
