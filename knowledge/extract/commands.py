"""Command lines in a paste (``docker pull x``, ``skopeo copy ...``): the tool, its verb, the
arguments, and what those arguments name: images, a login host, an operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from knowledge.entry import Operation
from knowledge.extract.scan import ScannedText, matches, rx, word_char_before
from knowledge.reference import DOCKER_HUB, is_valid_host

_COMMAND_TOOLS: Final = (
    "docker", "podman", "nerdctl", "buildah", "crictl", "crane", "oras", "ctr", "helm", "skopeo",
)
# The rest of the line after a tool name; shell separators end a command.
_COMMANDS: Final = {tool: rx(tool + r"[ \t]([^\n|;&]{1,400})") for tool in _COMMAND_TOOLS}
_GROUPS: Final = frozenset({"image", "images", "i", "registry", "auth"})
_VERBS: Final = frozenset({"pull", "push", "login", "copy", "cp", "install", "upgrade", "template"})
_VALUE_FLAGS: Final = frozenset(
    {
        # global options
        "--context", "-c", "--config", "-H", "--host", "-l", "--log-level", "--root",
        "--runroot", "--storage-driver", "--url", "--connection", "--command-timeout",
        "--policy", "--registries.d", "--tmpdir", "-n", "--namespace", "--address",
        "--snapshotter", "-r", "--runtime-endpoint", "-i", "--image-endpoint", "--timeout",
        "--kube-context", "--registry-config",
        # options of pull, push, copy and login
        "--platform", "--arch", "--os", "--variant", "--override-arch", "--override-os",
        "--override-variant", "--creds", "--src-creds", "--dest-creds", "--authfile",
        "--src-authfile", "--dest-authfile", "--cert-dir", "--src-cert-dir", "--dest-cert-dir",
        "--username", "-u", "--password", "-p", "--version", "--retry", "--retry-times",
        "--retry-delay", "--format", "-f", "--ca-file", "--cert-file", "--key-file", "--user",
        "--output", "-o", "--annotation", "--artifact-type", "--registry-token",
        "--src-registry-token", "--dest-registry-token", "--sign-by", "--digestfile",
        "--compression-format", "--decryption-key", "--encryption-key", "--values", "--set",
    }
)
OPERATION_OF_VERB: Final[dict[str, Operation]] = {
    "pull": "pull", "install": "pull", "upgrade": "pull", "template": "pull",
    "push": "push", "login": "login",
}
"""The operation a command's verb performs (helm installs pull the chart)."""


@dataclass(frozen=True, slots=True)
class Command:
    """A command line the paste holds: ``tool [options] [group] verb arguments``."""

    tool: str
    verb: str
    position: int
    arguments: tuple[str, ...]


def find_commands(scanned: ScannedText) -> list[Command]:
    """The registry commands (pull, push, login, copy, helm install ...) the paste shows."""
    text = scanned.text
    found: list[Command] = []
    for tool in _COMMAND_TOOLS:
        if not scanned.has_word(tool.encode()):
            continue
        for m in matches(_COMMANDS[tool], text):
            start = m.start()
            if word_char_before(text, start) or text[start - 1 : start] in {".", "/"}:
                continue  # part of a longer word or a path: docker-credential-x, /usr/bin/x
            command = _command(tool, start, m[1].split())
            if command is not None:
                found.append(command)
    return found


def _command(tool: str, position: int, words: list[str]) -> Command | None:
    """``tool [options] [group] verb args``, or None when the words are not such a command."""
    verb: str | None = None
    arguments: list[str] = []
    skip_value = False
    for word in words:
        if word in {"\\", "#"} or word.startswith((">", "#", "2>")):
            break
        if skip_value:
            skip_value = False
        elif word.startswith("-"):
            skip_value = "=" not in word and word in _VALUE_FLAGS
        elif verb is not None:
            arguments.append(word.strip("`'\""))
        elif word in _VERBS:
            verb = word
        elif word not in _GROUPS:
            return None  # `docker: Error response ...`, `docker ps`: not a command we read
    return Command(tool, verb, position, tuple(arguments)) if verb else None


def command_images(command: Command) -> tuple[str, ...]:
    """The arguments of ``command`` that name images."""
    args = command.arguments
    if command.tool == "helm" or command.verb in {"login", "install", "upgrade", "template"}:
        return ()  # helm charts are found by their oci:// prefix; login names a host
    if command.verb in {"copy", "cp"}:
        return args[:2] if command.tool in {"crane", "oras"} else ()  # skopeo: docker://
    if command.tool == "crane" and command.verb == "push":
        return args[1:2]  # crane push TARBALL IMAGE
    return args[:1]


def login_host(command: Command) -> str | None:
    """The registry host a login command logs into, or None when it names no valid host."""
    if command.arguments:
        host = command.arguments[0].partition("://")[2] or command.arguments[0]
        host = host.partition("/")[0]
        return host if is_valid_host(host) else None
    return DOCKER_HUB if command.tool == "docker" else None
