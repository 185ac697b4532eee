"""peel: one error line down to the cause it carries, short enough to quote as evidence."""

from __future__ import annotations

import pytest

from knowledge.wrappers import MAX_EVIDENCE, peel

# Verbatim skopeo 1.9.3 and podman 4.3.1 output against a local registry (docker-registry 2.8).
SKOPEO = [
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5002/demo/hello:v1\\": reading manifest v1 in 127.0.0.1:5002/demo/hello: unauthorized: '
        'authentication required"',
        "reading manifest v1 in 127.0.0.1:5002/demo/hello: unauthorized: authentication required",
    ),
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="initializing source docker://127.0.0.1:5001/'
        "demo/hello:nope: reading manifest nope in 127.0.0.1:5001/demo/hello: manifest unknown: "
        'manifest unknown"',
        "reading manifest nope in 127.0.0.1:5001/demo/hello: manifest unknown: manifest unknown",
    ),
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="trying to reuse blob sha256:e6c97225ef17585da'
        "d4c23b318a86790d01133b22e10eb6522ac2786ecb4d04b at destination: checking whether a blob sh"
        "a256:e6c97225ef17585dad4c23b318a86790d01133b22e10eb6522ac2786ecb4d04b exists in 127.0.0.1:"
        '5002/demo/hello: unauthorized: authentication required"',
        "checking whether a blob "
        "sha256:e6c97225ef17585dad4c23b318a86790d01133b22e10eb6522ac2786ecb4d04b "
        "exists in 127.0.0.1:5002/demo/hello: unauthorized: authentication required",
    ),
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="Error listing repository tags: fetching tags '
        'list: invalid status code from registry 404 (Not Found)"',
        "fetching tags list: invalid status code from registry 404 (Not Found)",
    ),
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5001/demo/hello:v1\\": pinging container registry 127.0.0.1:5001: Get \\"https://127.0.'
        '0.1:5001/v2/\\": http: server gave HTTP response to HTTPS client"',
        'Get "https://127.0.0.1:5001/v2/": http: server gave HTTP response to HTTPS client',
    ),
    (
        'time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name \\"docker://localhos'
        't:5003/demo/hello:v1\\": pinging container registry localhost:5003: Get \\"https://localho'
        'st:5003/v2/\\": x509: certificate signed by unknown authority"',
        'Get "https://localhost:5003/v2/": x509: certificate signed by unknown authority',
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5003/demo/hello:v1\\": pinging container registry 127.0.0.1:5003: Get \\"https://127.0.'
        "0.1:5003/v2/\\\": x509: cannot validate certificate for 127.0.0.1 because it doesn't "
        'contain any IP SANs"',
        "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5999/demo/hello:v1\\": pinging container registry 127.0.0.1:5999: Get \\"http://127.0.0'
        '.1:5999/v2/\\": dial tcp 127.0.0.1:5999: connect: connection refused"',
        "dial tcp 127.0.0.1:5999: connect: connection refused",
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing image name \\"docker://registry'
        '.invalid/demo/hello:v1\\": pinging container registry registry.invalid: Get \\"https://reg'
        'istry.invalid/v2/\\": dial tcp: lookup registry.invalid on 127.0.0.1:53: no such host"',
        "dial tcp: lookup registry.invalid on 127.0.0.1:53: no such host",
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing manifest for image: choosing im'
        'age instance: no image found in image index for architecture arm64, variant \\"\\", OS '
        'linux"',
        'no image found in image index for architecture arm64, variant "", OS linux',
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5001/Demo/Hello:v1\\": invalid reference format: repository name must be lowercase"',
        'Error parsing image name "docker://127.0.0.1:5001/Demo/Hello:v1": invalid reference '
        "format: repository name must be lowercase",
    ),
    (
        'time="2026-11-27T17:08:13Z" level=fatal msg="Error parsing image name \\"127.0.0.1:5001/d'
        'emo/hello:v1\\": Invalid image name \\"127.0.0.1:5001/demo/hello:v1\\", unknown transport '
        '\\"127.0.0.1\\""',
        'Invalid image name "127.0.0.1:5001/demo/hello:v1", unknown transport "127.0.0.1"',
    ),
    (
        'time="2026-11-27T17:08:16Z" level=fatal msg="Error parsing image name \\"docker://127.0.0'
        '.1:5009/demo/hello:v1\\": pinging container registry 127.0.0.1:5009: Get \\"http://127.0.0'
        '.1:5009/v2/\\": context deadline exceeded"',
        'Get "http://127.0.0.1:5009/v2/": context deadline exceeded',
    ),
    (
        'time="2026-11-27T17:11:18Z" level=fatal msg="Error parsing image name \\"docker://localhos'
        't:5007/demo/hello:v1\\": pinging container registry localhost:5007: Get \\"https://localho'
        'st:5007/v2/\\": x509: certificate has expired or is not yet valid: current time 2026-11-27'
        'T17:11:18Z is after 2026-11-26T17:11:13Z"',
        'Get "https://localhost:5007/v2/": x509: certificate has expired or is not yet valid: '
        "current time 2026-11-27T17:11:18Z is after 2026-11-26T17:11:13Z",
    ),
    (
        'time="2026-11-27T17:11:30Z" level=fatal msg="logging into \\"127.0.0.1:5002\\": invalid '
        'username/password"',
        'logging into "127.0.0.1:5002": invalid username/password',
    ),
    (
        'time="2026-11-27T17:11:34Z" level=warning msg="Failed, retrying in 1s ... (1/2). Error: '
        "initializing source docker://127.0.0.1:5999/demo/hello:v1: pinging container registry 127"
        '.0.0.1:5999: Get \\"http://127.0.0.1:5999/v2/\\": dial tcp 127.0.0.1:5999: connect: '
        'connection refused"',
        "dial tcp 127.0.0.1:5999: connect: connection refused",
    ),
    (
        "Error: initializing source docker://127.0.0.1:5004/demo/hello:v1: reading manifest v1 in "
        "127.0.0.1:5004/demo/hello: errors:\\ndenied: requested access to the resource is denied\\n"
        "unauthorized: authentication required\\n",
        "reading manifest v1 in 127.0.0.1:5004/demo/hello: errors:\\ndenied: requested access to "
        "the resource is denied\\nunauthorized: authentication required\\n",
    ),
    (
        "Error: initializing source docker://127.0.0.1:5004/demo/hello:v1: unable to retrieve auth "
        "token: invalid username/password: unauthorized: invalid username or password",
        "initializing source docker://127.0.0.1:5004/demo/hello:v1: unable to retrieve auth token: "
        "invalid username/password: unauthorized: invalid username or password",
    ),
    ("Error: repository name must be lowercase", "repository name must be lowercase"),
]


@pytest.mark.parametrize(("line", "cause"), SKOPEO)
def test_skopeo_and_podman_messages_peel_to_their_cause(line: str, cause: str) -> None:
    assert peel(line) == cause


def test_a_multi_line_message_in_a_log_string_becomes_one_line() -> None:
    line = (
        'time="2026-11-27T17:12:30Z" level=fatal msg="initializing source docker://127.0.0.1:5004/'
        "demo/hello:v1: reading manifest v1 in 127.0.0.1:5004/demo/hello: errors:\\ndenied: "
        'requested access to the resource is denied\\nunauthorized: authentication required\\n"'
    )
    assert peel(line) == (
        "reading manifest v1 in 127.0.0.1:5004/demo/hello: denied: requested access to the "
        "resource is denied; unauthorized: authentication required"
    )


KUBELET_CAUSE = (
    'Failed to pull image "ghcr.io/acme/api:1.0": rpc error: code = Unknown desc = failed to pull '
    'and unpack image "ghcr.io/acme/api:1.0": failed to resolve reference "ghcr.io/acme/api:1.0": '
    "unexpected status code [manifests 1.0]: 401 Unauthorized"
)

KUBERNETES = [
    (
        KUBELET_CAUSE,
        'failed to resolve reference "ghcr.io/acme/api:1.0": unexpected status code '
        "[manifests 1.0]: 401 Unauthorized",
    ),
    (
        f"  Warning  Failed     12s (x2 over 30s)  kubelet            {KUBELET_CAUSE}",
        'failed to resolve reference "ghcr.io/acme/api:1.0": unexpected status code '
        "[manifests 1.0]: 401 Unauthorized",
    ),
    (
        "  Warning  Failed     3m2s               kubelet, node-1    Failed to pull image "
        '"ghcr.io/acme/api:1.0": rpc error: code = Unknown desc = failed to pull and unpack image '
        '"ghcr.io/acme/api:1.0": failed to resolve reference "ghcr.io/acme/api:1.0": unexpected '
        "status from HEAD request to https://ghcr.io/v2/acme/api/manifests/1.0: 403 Forbidden",
        "unexpected status from HEAD request to https://ghcr.io/v2/acme/api/manifests/1.0: "
        "403 Forbidden",
    ),
    (
        '2m10s       Warning   Failed    pod/api-7d9c6b5f4-x2x9z    Failed to pull image "nginx:no'
        'pe": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/'
        'nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library'
        "/nginx:nope: not found",
        "docker.io/library/nginx:nope: not found",
    ),
    (
        "  Warning  Failed     3s (x4 over 90s)   kubelet            Error: ErrImagePull",
        "ErrImagePull",
    ),
    (
        "  Normal   BackOff    5s (x6 over 89s)   kubelet            Back-off pulling image "
        '"ghcr.io/acme/api:1.0"',
        'Back-off pulling image "ghcr.io/acme/api:1.0"',
    ),
    (
        'time="2024-05-01T10:11:12.123456789Z" level=error msg="PullImage \\"ghcr.io/acme/api:1.0\\'
        '" failed" error="failed to pull and unpack image \\"ghcr.io/acme/api:1.0\\": failed to res'
        'olve reference \\"ghcr.io/acme/api:1.0\\": ghcr.io/acme/api:1.0: not found"',
        "ghcr.io/acme/api:1.0: not found",
    ),
    (
        'E0501 10:11:12.123456    1234 remote_image.go:180] "PullImage from image service failed" '
        'err="rpc error: code = Unknown desc = failed to pull and unpack image '
        '\\"ghcr.io/acme/api:1.0\\": failed to copy: httpReadSeeker: failed open: failed to do '
        'request: Get \\"https://ghcr.io/v2/acme/api/blobs/sha256:abc\\": net/http: TLS '
        'handshake timeout" image="ghcr.io/acme/api:1.0"',
        'Get "https://ghcr.io/v2/acme/api/blobs/sha256:abc": net/http: TLS handshake timeout',
    ),
    (
        'E0501 10:11:12.123456    1234 pod_workers.go:1298] "Error syncing pod, skipping" '
        'err="failed to \\"StartContainer\\" for \\"api\\" with ErrImagePull: \\"rpc error: '
        'code = Unknown desc = failed to pull and unpack image \\\\\\"ghcr.io/acme/api:1.0\\\\\\": '
        'failed to resolve reference \\\\\\"ghcr.io/acme/api:1.0\\\\\\": unexpected status code '
        '[manifests 1.0]: 401 Unauthorized\\"" pod="default/api-1" podUID="4f3c"',
        'failed to resolve reference "ghcr.io/acme/api:1.0": unexpected status code '
        "[manifests 1.0]: 401 Unauthorized",
    ),
]


@pytest.mark.parametrize(("line", "cause"), KUBERNETES)
def test_kubelet_and_containerd_messages_peel_to_their_cause(line: str, cause: str) -> None:
    assert peel(line) == cause


CLIENTS = [
    (
        "Error response from daemon: pull access denied for nope, repository does not exist or may "
        "require 'docker login': denied: requested access to the resource is denied",
        "pull access denied for nope, repository does not exist or may require 'docker login': "
        "denied: requested access to the resource is denied",
    ),
    (
        'Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.0": '
        "unauthorized",
        'Head "https://ghcr.io/v2/acme/api/manifests/1.0": unauthorized',
    ),
    (
        "Error response from daemon: manifest for nginx:nope not found: manifest unknown: manifest "
        "unknown",
        "manifest for nginx:nope not found: manifest unknown: manifest unknown",
    ),
    (
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canc'
        "eled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
        'Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for '
        "connection (Client.Timeout exceeded while awaiting headers)",
    ),
    (
        "Error response from daemon: Get https://registry.local:5000/v2/: http: server gave HTTP "
        "response to HTTPS client",
        "Get https://registry.local:5000/v2/: http: server gave HTTP response to HTTPS client",
    ),
    (
        "Error response from daemon: toomanyrequests: You have reached your pull rate limit. You "
        "may increase the limit by authenticating and upgrading: https://www.docker.com/increase-"
        "rate-limit",
        "toomanyrequests: You have reached your pull rate limit. You may increase the limit by "
        "authenticating and upgrading: https://www.docker.com/increase-rate-limit",
    ),
    (
        "ERROR: failed to solve: alpine:3.99: failed to resolve source metadata for docker.io/libra"
        "ry/alpine:3.99: docker.io/library/alpine:3.99: not found",
        "docker.io/library/alpine:3.99: not found",
    ),
    (
        "ERROR: failed to solve: failed to push ghcr.io/acme/api:1.0: unexpected status from POST "
        "request to https://ghcr.io/v2/acme/api/blobs/uploads/: 403 Forbidden",
        "unexpected status from POST request to https://ghcr.io/v2/acme/api/blobs/uploads/: "
        "403 Forbidden",
    ),
    (
        "error: failed to solve: ghcr.io/acme/base:1: failed to resolve source metadata for ghcr.io"
        "/acme/base:1: failed to authorize: failed to fetch anonymous token: unexpected status from"
        " GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fbase%3Apull&service=ghcr."
        "io: 401 Unauthorized",
        "failed to authorize: failed to fetch anonymous token: unexpected status from GET request "
        "to https://ghcr.io/token?scope=repository%3Aacme%2Fbase%3Apull&service=ghcr.io: "
        "401 Unauthorized",
    ),
    (
        'Error: INSTALLATION FAILED: failed to do request: Head "https://ghcr.io/v2/acme/charts/api'
        '/manifests/1.0.0": dial tcp: lookup ghcr.io: no such host',
        "dial tcp: lookup ghcr.io: no such host",
    ),
    (
        "Error: pull access denied, repository does not exist or may require authorization: server "
        "message: insufficient_scope: authorization failed",
        "pull access denied, repository does not exist or may require authorization: server "
        "message: insufficient_scope: authorization failed",
    ),
    (
        "Error: GET https://index.docker.io/v2/library/nope/manifests/latest: UNAUTHORIZED: authent"
        "ication required; [map[Action:pull Class: Name:library/nope Type:repository]]",
        "GET https://index.docker.io/v2/library/nope/manifests/latest: UNAUTHORIZED: authentication"
        " required; [map[Action:pull Class: Name:library/nope Type:repository]]",
    ),
    (
        'FATA[0000] failed to resolve reference "ghcr.io/acme/api:1.0": unexpected status code '
        "[manifests 1.0]: 403 Forbidden",
        'failed to resolve reference "ghcr.io/acme/api:1.0": unexpected status code '
        "[manifests 1.0]: 403 Forbidden",
    ),
]


@pytest.mark.parametrize(("line", "cause"), CLIENTS)
def test_docker_buildkit_helm_crane_and_ctr_messages_peel_to_their_cause(
    line: str, cause: str
) -> None:
    assert peel(line) == cause


@pytest.mark.parametrize(
    "line",
    [
        "Trying to pull 127.0.0.1:5002/demo/hello:v1...",
        'Back-off pulling image "ghcr.io/acme/api:1.0"',
        "denied: requested access to the resource is denied",
        "net/http: TLS handshake timeout",
        "x509: certificate signed by unknown authority",
    ],
)
def test_a_line_with_nothing_to_peel_comes_back_unchanged(line: str) -> None:
    assert peel(f"  {line} \n") == line


def test_a_wrapper_with_no_cause_after_it_keeps_what_it_names() -> None:
    assert peel('Failed to pull image "ghcr.io/acme/api:1.0": ') == (
        'Failed to pull image "ghcr.io/acme/api:1.0"'
    )


def test_a_log_line_cut_off_mid_message_is_still_read() -> None:
    line = 'time="x" level=fatal msg="Error parsing image name \\"docker://h.io/a:1\\": reading man'
    assert peel(line) == 'Error parsing image name "docker://h.io/a:1": reading man'


def test_a_long_cause_keeps_its_start_and_end_within_the_limit() -> None:
    scope = "&".join(f"scope=repository%3Aacme%2Fservice-{n}%3Apull" for n in range(20))
    line = (
        "Error: failed to authorize: failed to fetch oauth token: unexpected status from GET "
        f"request to https://ghcr.io/token?{scope}: 401 Unauthorized"
    )
    evidence = peel(line)
    assert len(evidence) <= MAX_EVIDENCE
    assert evidence.startswith("failed to authorize: failed to fetch oauth token")
    assert evidence.endswith(": 401 Unauthorized")
    assert " \u2026 " in evidence


def test_a_short_cause_is_not_cut() -> None:
    line = "x509: certificate is valid for a.example.com, not b.example.com"
    assert peel(line) == line


def test_a_megabyte_line_gives_a_short_evidence_line() -> None:
    evidence = peel("Error response from daemon: " * 40 + "denied: " + "x" * 1_000_000)
    assert len(evidence) <= MAX_EVIDENCE
    assert evidence.startswith("denied: ")
    assert evidence.endswith("x")


def test_a_line_of_endless_wrappers_still_gives_a_short_evidence_line() -> None:
    evidence = peel('Error: failed to resolve reference "ghcr.io/a:1": ' * 20_000 + "boom")
    assert len(evidence) <= MAX_EVIDENCE
    assert evidence.endswith(': failed to resolve reference "ghcr.io/a:1": boom')
