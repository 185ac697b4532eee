"""Which reports are about the same registry: hosts compared after normalisation."""

from __future__ import annotations

_ALIASES = {
    # Docker Hub answers under three names: references say docker.io (or nothing), the
    # daemon's errors name registry-1.docker.io, and old configs index.docker.io.
    "index.docker.io": "docker.io",
    "registry-1.docker.io": "docker.io",
    "registry.hub.docker.com": "docker.io",
}


def incident_host(host: str) -> str:
    """The registry ``host`` names, in one spelling: lower case, no trailing dot, Docker
    Hub's aliases folded into ``docker.io``; a port is kept (another port, another service)."""
    name = host.strip().lower().rstrip(".")
    if name.endswith(":443"):
        name = name.removesuffix(":443")
    return _ALIASES.get(name, name)
