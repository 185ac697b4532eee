"""The ``{name}`` placeholders knowledge-base text may use, and the check that rejects others.

A placeholder is a lower-case name in single braces. Other braces are left alone: Go templates
(``{{.Digest}}``), JSON (``{"auths": ...}``), kubectl jsonpath (``{.spec}``) and shell
variables (``${HOME}``).
"""

from __future__ import annotations

import re
from typing import Final

PLACEHOLDERS: Final[dict[str, str]] = {
    "image": "<image>",
    "host": "<registry-host>",
    "endpoint": "<registry-api-host>",
    "hostname": "<registry-hostname>",
    "port": "<port>",
    "region": "<region>",
    "repository": "<repository>",
    "reference": "<tag-or-digest>",
    "tag": "<tag>",
    "digest": "<digest>",
    "platform": "<os/arch>",
    "proxy": "<proxy-host:port>",
    "helper": "<docker-credential-helper>",
    "ci": "<ci-system>",
    "package": "<package>",
    "version": "<version>",
    "registry_url": "<registry-url>",
    "config_file": "<config-file>",
}
"""Each placeholder and what stands in for it when the paste does not hold its value.

``host`` is the registry as image names spell it (``docker.io``), ``endpoint`` the host and port
its API answers on (``registry-1.docker.io`` for Docker Hub), ``hostname`` that without the
port; ``helper`` is a credential-helper binary (``docker-credential-osxkeychain``) and ``ci``
the CI system (``github-actions``, ``gitlab-ci``). For package registries, ``package`` and
``version`` are what the client asked for, ``registry_url`` the registry or index URL it used
(``host`` is that URL's host) and ``config_file`` the client configuration in play."""

NAME: Final = re.compile(r"(?<![$%\w{])\{([a-z][a-z_]{0,40})\}(?!\})")
"""``{name}``, not ``${name}`` (shell), ``%{name}`` (curl -w) nor ``{{name}}`` (a template)."""


def unknown_placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that are not placeholders (typos such as ``{hots}``)."""
    return [m[1] for m in NAME.finditer(text) if m[1] not in PLACEHOLDERS]


def check_placeholders(text: str) -> str:
    """Validator for knowledge-base text: every ``{name}`` must be a known placeholder."""
    unknown = unknown_placeholders(text)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValueError(
            f"unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; known: {known}"
        )
    return text
