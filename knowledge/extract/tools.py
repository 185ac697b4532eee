"""The tool that printed a paste's innermost error, from its own phrases, its name or the
command lines the paste shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from knowledge.extract.commands import Command
from knowledge.extract.scan import ScannedText


@dataclass(frozen=True, slots=True)
class _ToolSigns:
    tool: str
    phrases: tuple[str, ...] = ()
    words: tuple[bytes, ...] = ()
    """Words (lower case) that are a sign on their own."""
    checked: tuple[bytes, re.Pattern[str]] | None = None
    """A word that is a sign only where this pattern matches too."""


def _named(tool: str, *phrases: str) -> _ToolSigns:
    """Signs of a tool that names itself: its name as a word of its own (not in
    docker-credential-x, /usr/bin/x or x.go), or one of ``phrases``."""
    name = re.compile(rf"(?<![\w/.-]){tool}(?![\w/-]|\.\w)", re.ASCII | re.IGNORECASE)
    return _ToolSigns(tool, phrases, checked=(tool.encode(), name))


# In precedence order: the first tool with a sign is the one that printed the innermost error
# (kubelet wraps containerd, buildkit runs under docker buildx, CI runners wrap everything).
_TOOLS: Final = (
    # kubelet's own journal lines name its CRI client (remote_image.go).
    _named("kubelet", "Failed to pull image", "Back-off pulling image", "ErrImagePull",
           "ImagePullBackOff", "PullImage from image service failed", "remote_image.go"),
    _ToolSigns(
        "buildkit",
        ("failed to solve", "docker buildx", "load metadata for ", "[internal] load"),
        (b"buildkit",),
        (b"error", re.compile(r"#[0-9]{1,5} ERROR")),
    ),
    _ToolSigns("kaniko", ("error checking push permissions",), (b"kaniko",)),
    _named("jib", "jib-maven-plugin", "jib-gradle-plugin", "com.google.cloud.tools.jib"),
    _named("helm", "INSTALLATION FAILED", "UPGRADE FAILED", "oci://"),
    _named("crane", "Error: fetching manifest"),
    _named("oras"),
    _named("skopeo", "Error parsing image name", "Error parsing manifest for image",
           "Error listing repository tags",
           'msg="initializing source', 'msg="trying to reuse blob', 'msg="choosing an image'),
    _named("buildah"),
    _named("podman", "Trying to pull ", "Error: initializing source", "Error: writing blob",
           "Error: choosing an image", "Error: reading manifest"),
    _named("crictl"),
    _named("nerdctl"),
    _ToolSigns(
        "docker",
        ("Error response from daemon", "Cannot connect to the Docker daemon", "Using default tag:",
         ": Pulling from ", "The push refers to repository", "pull access denied for ",
         "Unable to find image '", "no matching manifest for ", "docker: "),
    ),
    _named("containerd", "failed to pull and unpack", "failed to resolve reference", "ctr: "),
    _ToolSigns(
        "github-actions",
        ("##[error]", "Error: buildx failed", "Process completed with exit code",
         "docker/login-action", "docker/build-push-action", "GITHUB_"),
    ),
    _ToolSigns(
        "gitlab-ci",
        ("gitlab-runner", "ERROR: Job failed", "Using docker executor",
         "Using Kubernetes executor", "CI_REGISTRY"),
    ),
)
_COMMAND_TOOL_NAME: Final = {"ctr": "containerd"}


def find_tool(scanned: ScannedText, commands: list[Command]) -> str | None:
    """The first tool in precedence order with a sign in the paste, or None."""
    commanded = {_COMMAND_TOOL_NAME.get(c.tool, c.tool) for c in commands}
    for signs in _TOOLS:
        if (
            signs.tool in commanded
            or scanned.any_of(signs.phrases)
            or any(scanned.has_word(word) for word in signs.words)
            or (
                signs.checked is not None
                and scanned.has_word(signs.checked[0])
                and signs.checked[1].search(scanned.text) is not None
            )
        ):
            return signs.tool
    return None
