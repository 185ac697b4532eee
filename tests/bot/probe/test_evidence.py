"""Evidence lines never carry secrets, cloud identities or addresses, and stay short."""

from __future__ import annotations

import pytest

from bot.probe.evidence import MAX_LINE, sanitize, short_digest

JWT = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwdWxsZXIifQ.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("Authorization: Basic cHVsbGVyOnB1bGxwYXNz", "cHVsbGVyOnB1bGxwYXNz"),
        (f"echoed {JWT} back", JWT),
        ("GET /token?account=puller&password=hunter2&scope=x", "hunter2"),
        ('{"token": "abc.def", "expires_in": 60}', "abc.def"),
        (
            "denied: User: arn:aws:iam::123456789012:user/ci is not authorized",
            "arn:aws:iam::123456789012:user/ci",
        ),
        (
            "The repository with name 'x' does not exist in the registry with id '123456789012'",
            "123456789012",
        ),
        ("token from 10.20.30.40:5000 and [fd00:ec2::254]", "10.20.30.40"),
        ("token from 10.20.30.40:5000 and [fd00:ec2::254]", "fd00:ec2::254"),
        ("mapped ::ffff:127.0.0.1 here", "127.0.0.1"),
        ("sa bot@my-project.iam.gserviceaccount.com denied", "my-project"),
        ("opaque ZXhhbXBsZS1zZWNyZXQtdmFsdWUtdGhhdC1pcy1sb25nMTIzNDU2", "ZXhhbXBsZS1zZWNyZXQ"),
    ],
)
def test_secrets_and_identities_are_removed(text: str, secret: str) -> None:
    assert secret not in sanitize(text)


@pytest.mark.parametrize(
    "text",
    [
        "HEAD manifest: 200 (application/vnd.oci.image.manifest.v1+json, digest sha256:"
        "6d16bfe9ca770ffe52fb3718c36cbcc672add3096cd7ea36829351bd548dc17b)",
        "GET /v2/: 401, Basic authentication",
        "x509: certificate has expired: current time 2026-11-27T17:11:18Z",
        "tags/list: 404 NAME_UNKNOWN: repository name not known to registry",
    ],
)
def test_useful_text_survives(text: str) -> None:
    assert sanitize(text) == text


def test_lines_are_cut_and_flattened() -> None:
    line = sanitize("first\nsecond\x1b[31m " + "word " * 100)
    assert len(line) == MAX_LINE
    assert line.endswith("…")
    assert "\n" not in line
    assert "\x1b" not in line


def test_short_digest() -> None:
    assert short_digest("sha256:6d16bfe9ca770ffe52fb3718c36cbc") == "sha256:6d16bfe9ca77"
    assert short_digest(None) is None
    assert short_digest("garbage") is None
