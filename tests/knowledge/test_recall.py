"""The shapes issue 9 lists as missed, written for the issue (synthetic: not corpus examples).

Each is asked about (slash command, mention, CLI), so each must be named; the corpus measures
how often these shapes are right in the wild, these tests only keep each shape recognised.
"""

from __future__ import annotations

import pytest

from knowledge.diagnosis import UNASKED_THRESHOLD, diagnose

ASKED = [
    # Bare answers from a registry
    ('Error response from daemon: Head "https://ghcr.io/v2/acme/private/manifests/1.0": '
     "unauthorized", "auth-required"),
    ('Error response from daemon: Head "https://ghcr.io/v2/acme/private/manifests/1.0": denied',
     "access-denied"),
    ('$ docker login ghcr.io\nError response from daemon: Get "https://ghcr.io/v2/": unauthorized',
     "auth-invalid-credentials"),
    ("Error response from daemon: denied: access forbidden", "access-denied"),
    ("unauthorized: unauthenticated: User cannot be authenticated with the token provided.",
     "auth-invalid-credentials"),
    ("unauthorized: Invalid clientid or client secret.", "auth-invalid-credentials"),
    # Short inner errors with no word like docker or registry
    ("x509: certificate signed by unknown authority", "tls-unknown-authority"),
    ("x509: certificate is valid for *.corp.example, not registry-1.docker.io",
     "tls-hostname-mismatch"),
    ("x509: certificate is not valid for any names, but wanted to match registry.local",
     "tls-hostname-mismatch"),
    ('x509: "registry.local" certificate is not trusted', "tls-unknown-authority"),
    ("dial tcp 127.0.0.1:5000: connect: connection refused", "connection-refused"),
    ("http: server gave HTTP response to HTTPS client", "http-response-to-https-client"),
    ("lookup gitea.example.internal: no such host", "dns-resolution"),
    ("dial tcp 10.20.0.5:443: connect: no route to host", "network-unreachable"),
    # Timeouts in kubelet and CRI wrappers
    ('Failed to pull image "nginx": rpc error: code = DeadlineExceeded desc = context deadline '
     "exceeded", "network-timeout"),
    ("failed to copy: httpReadSeeker: failed open: failed to do request: Get "
     '"https://r.example/v2/a/blobs/sha256:aa": 502 Bad Gateway', "registry-server-error"),
    # Registry-side logs
    ("level=info msg=\"token not to be used before 2026-12-02T10:00:00Z - currently "
     '2026-12-02T09:58:00Z"', "clock-skew"),
    ("failed to decode bearer token: token is not valid yet", "clock-skew"),
    ("Signature expired: 20261202T100000Z is now earlier than 20261202T101500Z", "clock-skew"),
    ("Upload would exceed quota (507 Insufficient Storage)", "quota-or-storage-exceeded"),
    ("denied: registry contains 1 repositories, limit is 1", "quota-or-storage-exceeded"),
    # Push statuses and wordings
    ("Error pushing to registry: Server error: 413 trying to push acme/app blob",
     "payload-too-large"),
    ("Error pushing to registry: Server error: 500 trying to push acme/app manifest",
     "registry-server-error"),
    ("unrecognized HTTP status: 429 Too Many Requests", "rate-limited"),
    ("Manifest list must be converted to type application/vnd.oci.image.index.v1+json",
     "manifest-invalid-or-unsupported"),
    ("unknown: tag=latest cannot be overwritten because r.example/acme/app is an immutable "
     "repository", "tag-immutable"),
    # HTML where JSON was expected, by status
    ("Error response from daemon: error parsing HTTP 403 response body: invalid character '<' "
     'looking for beginning of value: "<HTML><HEAD><TITLE>Access Denied</TITLE>"',
     "access-denied"),
    ("Error response from daemon: error parsing HTTP 404 response body: invalid character '<' "
     'looking for beginning of value: "<html><body>Not Found</body></html>"', "not-a-registry"),
    # Content store and copy errors
    ('failed commit on ref "layer-sha256:ab": unexpected commit size 1024, expected 2048: '
     "failed precondition", "digest-or-layer-corrupt"),
    ('writing blob: storing blob to file "/var/tmp/storage1/1": happened during read: '
     "unexpected EOF", "digest-or-layer-corrupt"),
    ("Error while applying layer: ApplyLayer exit status 1 stdout:  stderr: write "
     "/usr/lib/x.so: no space left on device", "disk-full-on-pull"),
    # Wrappers seen in the wild
    ("failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized",
     "auth-required"),
    ("error checking push permissions -- make sure you entered the correct tag name, and that "
     "you are authenticated correctly, and try again: checking push permission for "
     '"r.example/acme/app:1": Get "https://r.example/v2/": x509: certificate signed by unknown '
     "authority", "tls-unknown-authority"),
    ("Error response from daemon: Get \"https://registry-1.docker.io/v2/\": writing response to "
     "registry-1.docker.io:443: connecting to 127.0.0.1:1081: dial tcp 127.0.0.1:1081: connect: "
     "connection refused", "proxy-error"),
    ("CONTAINER1013: Failed to push to the output registry: CONTAINER1001: Failed to upload "
     "blob using POST https://r.example/v2/a/blobs/uploads/; recieved status code "
     "'Unauthorized'.", "auth-required"),
    ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
     "resolve ref r.example/a:1: not found", "manifest-unknown"),
    # New classes
    ("Error: writing blob: initiating layer upload to /v2/ina/blobs/uploads/ in "
     "localhost:5000: name invalid: Invalid repository name", "name-invalid"),
    ('Error response from daemon: Get "https://acme.azurecr.io/v2/": denied: client with IP '
     "'203.0.113.7' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.",
     "network-policy-blocked"),
    ("Error response from daemon: unknown: current image with 3 vulnerabilities cannot be pulled "
     "due to configured policy in 'Prevent images with vulnerability severity of \"High\"'",
     "policy-blocked"),
    ("denied: The system is in read only mode. Any modification is prohibited.",
     "registry-read-only"),
]

NOISE = [
    # Spaced out, wrapped, CRLF, escaped JSON inside a log line, prose in another language
    ("Get https://r.example/v2/: x    509: certificate signed by unknown authority",
     "tls-unknown-authority"),
    ('Get "https://r.example/v2/": x509:\n  certificate signed by unknown authority',
     "tls-unknown-authority"),
    ('Error response from daemon: Head "https://r.example/v2/a/manifests/1": unauthorized: '
     "authentication required\r\n", "auth-required"),
    ('level=error msg="push failed" body="{\\"errors\\":[{\\"code\\":\\"MANIFEST_UNKNOWN\\",'
     '\\"message\\":\\"manifest unknown\\"}]}"', "manifest-unknown"),
    # Chinese prose with full-width punctuation around the error, as people type it
    ("拉取镜像时报错\uff1aError response from daemon: Get \"https://r.example/v2/\": dial tcp "
     "10.0.0.9:443: connect: connection refused\uff0c请问怎么解决\uff1f", "connection-refused"),
]


@pytest.mark.parametrize(("text", "expect"), ASKED + NOISE, ids=lambda v: v[:40])
def test_asked_names_the_shape(text: str, expect: str) -> None:
    diagnosis = diagnose(text)
    assert diagnosis.class_id == expect, (diagnosis.confidence, diagnosis.alternatives)


def test_a_bare_inner_error_is_named_when_asked_but_not_answered_unasked() -> None:
    bare = diagnose("x509: certificate signed by unknown authority")
    assert bare.class_id == "tls-unknown-authority"
    assert not bare.answer_unasked(UNASKED_THRESHOLD)
    pulled = diagnose('$ docker pull r.example/acme/app:1\nError response from daemon: Get '
                      '"https://r.example/v2/": x509: certificate signed by unknown authority')
    assert pulled.answer_unasked(UNASKED_THRESHOLD)


def test_not_sure_says_what_it_saw_and_what_to_try() -> None:
    diagnosis = diagnose("$ docker login ghcr.io\nError: something odd happened")
    assert diagnosis.class_id is None
    assert diagnosis.seen == "a `docker login` to ghcr.io that failed"
    assert diagnosis.try_next
    assert diagnose("see you at lunch").seen is None
    image_only = diagnose("harbor.example.com/base/openssh:v1.0.0 keeps failing, help")
    assert image_only.seen == (
        "something about the image harbor.example.com/base/openssh:v1.0.0 that failed")
