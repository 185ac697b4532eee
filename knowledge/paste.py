"""A pasted text made safe to work with: normalised, with every credential masked."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.normalize import normalize
from knowledge.secrets import Redaction, mask_secrets

__all__ = ["Paste", "Redaction", "read_paste"]


@dataclass(frozen=True, slots=True)
class Paste:
    """The normalised, secret-masked text of a paste, and what masking found."""

    text: str
    redactions: tuple[Redaction, ...] = ()


def read_paste(raw: str) -> Paste:
    """Normalise a paste and mask every credential in it.

    Nothing may see ``raw`` before this: callers keep only the returned Paste.
    """
    text, redactions = mask_secrets(normalize(raw))
    return Paste(text=text, redactions=redactions)
