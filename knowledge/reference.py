"""Container image references: the distribution reference grammar, parsed and normalised."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A fully qualified image reference: ``docker.io/library/nginx:latest``."""

    host: str
    """Registry host, with port if any, normalised (``docker.io`` for Docker Hub)."""
    repository: str
    """Repository path within the registry (``library/nginx``)."""
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """The digest when there is one, otherwise the tag (``latest`` when neither)."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        """``host/repository`` without tag or digest."""
        return f"{self.host}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag or not self.digest:
            text += f":{self.tag or 'latest'}"
        if self.digest:
            text += f"@{self.digest}"
        return text
