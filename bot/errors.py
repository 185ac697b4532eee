"""The runtime's one exception root.

Every error the bot or the CLI raises on purpose derives from :class:`RegistryWhyError` and
carries a message a person can act on (the variable, file, table or field to fix). The CLI maps
the root to its exit codes; the knowledge core has its own root, ``knowledge.KnowledgeError``.
"""

from __future__ import annotations


class RegistryWhyError(Exception):
    """Something the bot cannot do as asked; the message says what to change."""

    exit_code: int = 1
    """The CLI's exit status when this ends a command."""
