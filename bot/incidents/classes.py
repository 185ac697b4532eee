"""Which classes are outages (the knowledge base's ``incident`` flag), and which probe
outcomes show a registry answering again."""

from __future__ import annotations

from knowledge import knowledge_base


def is_outage(class_id: str) -> bool:
    """Whether ``class_id`` points at the registry or the path to it (``incident = true``)."""
    kb = knowledge_base()
    return class_id in kb and kb[class_id].incident


def answers_again(outcome: str | None) -> bool:
    """Whether a probe outcome shows the registry answering: the image pulls, or the registry
    answered with something about this image or request (not found, auth needed), which no
    outage-type class explains."""
    return outcome == "ok" or (outcome is not None and outcome in knowledge_base()
                                and not is_outage(outcome))
