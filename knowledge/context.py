"""What a paste tells about the failed operation: image, registry, tool, status, platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from knowledge.entry import (
    Condition,
    Ecosystem,
    Environment,
    Operation,
    RegistryFamily,
    Tool,
)
from knowledge.reference import ImageReference

CLIENT_OF: Final[dict[str, Tool]] = {
    "skopeo": "podman", "buildah": "podman",
    "kubelet": "containerd", "crictl": "containerd", "nerdctl": "containerd",
    "buildkit": "docker", "github-actions": "docker", "gitlab-ci": "docker",
}
"""The client family a tool's pastes are fixed with: skopeo and buildah share podman's login
and registries.conf; kubelet, crictl and nerdctl share containerd's; buildkit and CI runners
use the docker CLI."""


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
    environments: tuple[Environment, ...] = ()
    """Where the client ran: Kubernetes, a CI runner, Docker Desktop, rootless podman."""
    proxy: str | None = None
    """The proxy address the paste names (``127.0.0.1:7890``, ``http://proxy.corp:3128``)."""
    credential_helper: str | None = None
    """The credential-helper binary the paste names (``docker-credential-osxkeychain``)."""
    region: str | None = None
    """The cloud region the paste names, also when its registry host was redacted."""
    digest: str | None = None
    """A content digest (``sha256:...``) the paste names, when no image carries one."""
    repository: str | None = None
    """A repository the paste names without a tag (a blob or tag-list URL), when it names no
    image: enough for commands on the repository, not for those that need the image."""
    ecosystem: Ecosystem = "oci"
    """The kind of registry the paste is about (``npm``, ``pypi``, ...; ``oci`` for images)."""
    package: str | None = None
    """The package the failing request was for (``@acme/ui``, ``requests``,
    ``org.acme:core``), in the ecosystem's own spelling."""
    package_version: str | None = None
    """The version of ``package`` asked for, when the paste names one."""
    registry_url: str | None = None
    """The package registry or index URL the client used (``https://npm.acme.io/``), with any
    credentials in it already masked."""
    config_file: str | None = None
    """The client configuration file the paste names or implies (``.npmrc``, ``pip.conf``,
    ``settings.xml``, ``NuGet.Config``, ``.cargo/config.toml``)."""

    @property
    def image(self) -> ImageReference | None:
        """The image the error is most likely about."""
        return self.images[0] if self.images else None

    @property
    def client(self) -> str:
        """The client family the paste's tool belongs with (docker when the tool is unknown)."""
        tool = self.tool or "docker"
        return CLIENT_OF.get(tool, tool)

    def matches(self, condition: Condition) -> bool:
        """Whether this paste meets every part of ``condition`` (an empty one always matches)."""
        family = self.registry.family if self.registry else None
        os_arch = self.platform or ""
        return (
            (not condition.tool or bool({self.tool, self.client} & set(condition.tool)))
            and (not condition.ecosystem or self.ecosystem in condition.ecosystem)
            and (not condition.operation or self.operation in condition.operation)
            and (not condition.registry or family in condition.registry)
            and (not condition.environment
                 or bool(set(self.environments) & set(condition.environment)))
            and (not condition.platform or any(
                os_arch == p or os_arch.startswith(p + "/") for p in condition.platform))
        )

    @property
    def about_registry(self) -> bool:
        """Whether the paste is plainly about a registry (an image, a registry host or tool)."""
        return bool(self.images or self.registry or self.tool or self.oci_codes
                    or self.registry_url or self.package)
