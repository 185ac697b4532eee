"""The operation that failed (pull, push or login), from the failing step's own wording, the
registry requests it made, and the commands and progress output around it."""

from __future__ import annotations

from typing import Final

from knowledge.entry import Operation
from knowledge.extract.commands import OPERATION_OF_VERB, Command
from knowledge.extract.hosts import DOCKER_HUB_RATE_LIMIT
from knowledge.extract.scan import ScannedText, matches, rx

_OperationSigns = tuple[tuple[str, Operation], ...]

# Text from the failing step itself names the operation best; command lines and progress
# output only when the error does not. Within a tier, the last sign wins: a paste ends with
# the step that failed (`docker login` ... `Login Succeeded` ... `docker push` ... denied).
_ERROR_OPERATION_SIGNS: Final[_OperationSigns] = (
    ("pull access denied for ", "pull"),
    (DOCKER_HUB_RATE_LIMIT, "pull"),
    ("Failed to pull image", "pull"),
    ("failed to pull image", "pull"),
    ("failed to pull and unpack", "pull"),
    ("Back-off pulling image", "pull"),
    ("ErrImagePull", "pull"),
    ("ImagePullBackOff", "pull"),
    ("Error pulling image", "pull"),
    ("error pulling image", "pull"),
    ("PullImage ", "pull"),
    ("pulling image: ", "pull"),
    ("initializing source", "pull"),
    ("source metadata for ", "pull"),
    ("reading manifest ", "pull"),
    ("choosing an image from manifest list", "pull"),
    ("choosing image instance", "pull"),
    ("no matching manifest for ", "pull"),
    ("fetching manifest ", "pull"),
    ("Error parsing image name", "pull"),
    ("Unable to find image '", "pull"),
    ("failed to push ", "push"),
    ("The push refers to repository", "push"),
    ("push permission for ", "push"),
    ("push permissions", "push"),
    ("Error pushing", "push"),
    ("error pushing", "push"),
    ("uploading manifest", "push"),
    ("initiating layer upload", "push"),
    ("/blobs/uploads/", "push"),
    ("blob upload unknown", "push"),
    ("blob upload invalid", "push"),
    ("BLOB_UPLOAD_", "push"),
    ("trying to reuse blob", "push"),
    ("login attempt to", "login"),
    ("logging into", "login"),
    ("Cannot perform an interactive login", "login"),
    ("authenticating creds for", "login"),
    ("Error saving credentials", "login"),
    ("error saving credentials", "login"),
    ("Error storing credentials", "login"),
    ("error storing credentials", "login"),
)
_CONTEXT_OPERATION_SIGNS: Final[_OperationSigns] = (
    (": Pulling from ", "pull"),
    ("Trying to pull ", "pull"),
    ("Pulling image", "pull"),
    ("Pulled: ", "pull"),
    ("load metadata for ", "pull"),
    ("Using default tag:", "pull"),
    ("Pushed: ", "push"),
    ("pushing layers", "push"),
    ("Login Succeeded", "login"),
    ("docker/login-action", "login"),
)


def _last_sign(
    scanned: ScannedText, signs: _OperationSigns, extra: list[tuple[int, Operation]]
) -> Operation | None:
    best: tuple[int, Operation] | None = max(extra) if extra else None
    for literal, operation in signs:
        if scanned[literal]:
            position = scanned.text.rfind(literal)
            if best is None or position > best[0]:
                best = (position, operation)
    return best[1] if best else None


# A failed registry request: reading a manifest or blob is a pull, writing one is a push.
_REQUEST_URL = rx(r"://[^\s\"\\]{1,300}?/v2/[^\s\"\\]{1,300}?/(?:manifests|blobs)/")
_METHOD_BEFORE = rx(  # Head "https://  GET https://  from PUT request to https://
    r"(?<![\w])(Get|GET|Head|HEAD|Put|PUT|Post|POST|Patch|PATCH)(?: request to)? \\?\"?https?\Z"
)
_REQUEST_OPERATION: Final[dict[str, Operation]] = {
    "get": "pull", "head": "pull", "put": "push", "post": "push", "patch": "push",
}


def _requests(scanned: ScannedText) -> list[tuple[int, Operation]]:
    if not (scanned.has_word(b"manifests") or scanned.has_word(b"blobs")):
        return []
    text = scanned.text
    found: list[tuple[int, Operation]] = []
    for m in matches(_REQUEST_URL, text):
        start = m.start()
        method = _METHOD_BEFORE.search(text, max(0, start - 30), start)
        if method:
            found.append((method.start(), _REQUEST_OPERATION[method[1].lower()]))
    return found


def find_operation(
    scanned: ScannedText, commands: list[Command], tool: str | None
) -> Operation | None:
    """The operation that failed: named by the error itself, else by the commands and progress
    output around it; kubelet only ever pulls."""
    operation = _last_sign(scanned, _ERROR_OPERATION_SIGNS, _requests(scanned))
    if operation is None:
        issued = [
            (c.position, OPERATION_OF_VERB[c.verb]) for c in commands
            if c.verb in OPERATION_OF_VERB
        ]
        operation = _last_sign(scanned, _CONTEXT_OPERATION_SIGNS, issued)
    if operation is None and tool == "kubelet":
        operation = "pull"
    return operation
