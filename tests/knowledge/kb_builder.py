"""Small knowledge bases written on the fly, for tests of the classifier's rules."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.loader import KnowledgeBase, load_knowledge_base

_TEMPLATE = """
id = "{id}"
title = "Title of {id}"
meaning = "Meaning of {id}."
why = "Why {id} happens."
dont = ["Don't do the unsafe thing for {id}."]
references = ["https://example.org/{id}"]

[match]
{match}

{patterns}

[[steps.confirm]]
text = "Confirm {id} on {{host}}."
commands = ["skopeo inspect docker://{{image}}"]
[[steps.check]]
text = "Check {id}."
[[steps.fix]]
text = "Fix {id} for {{repository}} at {{reference}}; leave {{{{.Digest}}}} alone."
[[steps.verify]]
text = "Verify {id} with platform {{platform}}."

[[registry]]
family = "ghcr"
text = "On GHCR, {id} differs."
"""


def pattern(regex: str, weight: float, **extra: object) -> str:
    """One ``[[match.pattern]]`` table; ``extra`` values are written as JSON (valid TOML here)."""
    lines = ["[[match.pattern]]", f"regex = '{regex}'", f"weight = {weight}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines)


def build_kb(tmp_path: Path, entries: dict[str, tuple[str, list[str]]]) -> KnowledgeBase:
    """Write entries ``{id: (match-table body, [pattern tables])}`` and load them."""
    for class_id, (match, patterns) in entries.items():
        (tmp_path / f"{class_id}.toml").write_text(
            _TEMPLATE.format(id=class_id, match=match, patterns="\n\n".join(patterns))
        )
    return load_knowledge_base(tmp_path)
