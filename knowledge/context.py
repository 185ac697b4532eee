"""What a paste tells about the failed operation: image, registry, tool, status, platform."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.entry import Operation, RegistryFamily
from knowledge.reference import ImageReference


@dataclass(frozen=True, slots=True)
class Registry:
    """A registry host and the family it belongs to."""

    host: str
    family: RegistryFamily


@dataclass(frozen=True, slots=True)
class Context:
    """Facts extracted from a (masked, normalised) paste."""

    images: tuple[ImageReference, ...] = ()
    """Image references in the order they appear; the first is the one the error is about."""
    registry: Registry | None = None
    tool: str | None = None
    """docker, podman, skopeo, containerd, kubelet, buildkit, helm, crane, ..."""
    operation: Operation | None = None
    http_status: int | None = None
    oci_codes: tuple[str, ...] = ()
    """Error codes from the distribution spec (``MANIFEST_UNKNOWN``, ``DENIED``, ...)."""
    platform: str | None = None
    """The platform asked for, as ``os/arch[/variant]``."""

    @property
    def image(self) -> ImageReference | None:
        """The image the error is most likely about."""
        return self.images[0] if self.images else None

    @property
    def about_registry(self) -> bool:
        """Whether the paste is plainly about a registry (an image, a registry host or tool)."""
        return bool(self.images or self.registry or self.tool or self.oci_codes)
