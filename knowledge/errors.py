"""The knowledge core's one exception root.

A ``ValueError``, because the knowledge base's schema validators raise these inside pydantic,
which reports only ``ValueError`` (and ``AssertionError``) as validation problems.
"""

from __future__ import annotations


class KnowledgeError(ValueError):
    """Text or data the knowledge core cannot use; the message says what is wrong and how to
    fix it (the entry file and field, the pattern, the image reference)."""
