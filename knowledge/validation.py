"""Schemas read from files and the environment: one strict base, one way to report problems.

The knowledge base's entries, the registries file and the settings are all checked with
pydantic. Each reports a bad value as ``<where>: <what is wrong>``, naming the place the way
its reader knows it (an entry's dotted field, a ``[[registry]]`` table, an environment
variable), and quotes what was given only where that can never be a secret.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, ValidationError

Location = tuple[int | str, ...]
"""Where pydantic found a problem: field names and list positions, outermost first."""

UNKNOWN_FIELD = "unknown field (check the spelling)"


class Strict(BaseModel):
    """A schema that refuses fields it does not know (a misspelt one must not be ignored) and
    cannot be changed once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def dotted(loc: Location) -> str:
    """``steps.verify.0.text``; ``(top level)`` for the whole document."""
    return ".".join(str(part) for part in loc) or "(top level)"


def _never(loc: Location) -> bool:
    return False


def describe_problems(
    error: ValidationError,
    *,
    label: Callable[[Location], str] = dotted,
    quote_input: Callable[[Location], bool] = _never,
) -> list[str]:
    """Each problem in ``error`` as ``<label>: <what is wrong>``, with ``(got <value>)`` after
    it only where ``quote_input`` allows: a value given in the wrong place may be a password."""
    problems = []
    for err in error.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            message = UNKNOWN_FIELD
        else:
            # A validator's own ValueError comes prefixed; its message is already a sentence.
            message = str(err["msg"]).removeprefix("Value error, ")
        shown = f" (got {err.get('input')!r})" if quote_input(loc) else ""
        problems.append(f"{label(loc)}: {message}{shown}")
    return problems
