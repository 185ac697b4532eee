"""The pure core of registry-why: read a pasted registry error, name its cause, guide the fix.

No network, no Redis, no Slack and no environment variables here: text in, a Diagnosis out.
Front ends (``bot``) import what this names in ``__all__``, and only that; the modules behind it
may change shape.
"""

from knowledge.context import Context, Registry
from knowledge.diagnosis import MAX_CHARS, Diagnosis, diagnose, image_alone
from knowledge.entry import Ecosystem, Entry, Environment, Operation, RegistryFamily
from knowledge.errors import KnowledgeError
from knowledge.guide import Guide, GuideStep, ShortAnswer, access_checks, build_guide
from knowledge.loader import (
    ENTRIES_DIR,
    KnowledgeBaseError,
    image_access,
    knowledge_base,
    load_entry,
    load_knowledge_base,
)
from knowledge.normalize import normalize
from knowledge.paste import Redaction, read_paste
from knowledge.reference import ImageReference, InvalidReference, lone_reference, parse_reference
from knowledge.registries import family_label, registry_family
from knowledge.secrets import mask_secrets
from knowledge.validation import Location, Strict, describe_problems

__all__ = [
    "ENTRIES_DIR",
    "MAX_CHARS",
    "Context",
    "Diagnosis",
    "Ecosystem",
    "Entry",
    "Environment",
    "Guide",
    "GuideStep",
    "ImageReference",
    "InvalidReference",
    "KnowledgeBaseError",
    "KnowledgeError",
    "Location",
    "Operation",
    "Redaction",
    "Registry",
    "RegistryFamily",
    "ShortAnswer",
    "Strict",
    "access_checks",
    "build_guide",
    "describe_problems",
    "diagnose",
    "family_label",
    "image_access",
    "image_alone",
    "knowledge_base",
    "load_entry",
    "load_knowledge_base",
    "lone_reference",
    "mask_secrets",
    "normalize",
    "parse_reference",
    "read_paste",
    "registry_family",
]
