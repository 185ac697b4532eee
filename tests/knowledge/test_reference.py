"""Image references: Docker's grammar and normalisation, and errors that say what is wrong."""

from __future__ import annotations

import pytest

from knowledge.reference import (
    ImageReference,
    InvalidReference,
    is_host_component,
    is_valid_host,
    lone_reference,
    normalize_host,
    parse_reference,
)

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "fedcba9876543210" * 8


@pytest.mark.parametrize(
    ("text", "host", "repository", "tag", "digest"),
    [
        # Docker Hub: official images get library/, user images do not
        ("nginx", "docker.io", "library/nginx", None, None),
        ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
        ("user/app", "docker.io", "user/app", None, None),
        ("user/app:v2", "docker.io", "user/app", "v2", None),
        ("docker.io/nginx", "docker.io", "library/nginx", None, None),
        ("docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", None),
        ("index.docker.io/library/nginx", "docker.io", "library/nginx", None, None),
        ("index.docker.io/nginx", "docker.io", "library/nginx", None, None),
        ("registry-1.docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
        # a first component is a host only with a '.', a ':' or as localhost
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", None),
        ("myregistry:5000/app", "myregistry:5000", "app", None, None),
        ("ghcr.io/acme/api:sha-1f2e3d4", "ghcr.io", "acme/api", "sha-1f2e3d4", None),
        ("127.0.0.1:5001/demo/hello:v1", "127.0.0.1:5001", "demo/hello", "v1", None),
        ("[::1]:5000/demo/hello:v1", "[::1]:5000", "demo/hello", "v1", None),
        ("[2001:db8::1]/app", "[2001:db8::1]", "app", None, None),
        ("Registry.Example.COM/team/app", "registry.example.com", "team/app", None, None),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "shop/web", "2.14.1", None,
        ),
        # separators in path components: ., _, __ and runs of dashes
        ("a.b/c-d__e--f.g_h", "a.b", "c-d__e--f.g_h", None, None),
        ("quay.io/org/sub/deep/name", "quay.io", "org/sub/deep/name", None, None),
        # digests, with and without a tag; both are kept
        (f"nginx@{SHA256}", "docker.io", "library/nginx", None, SHA256),
        (f"ghcr.io/a/b:1.0@{SHA256}", "ghcr.io", "a/b", "1.0", SHA256),
        (f"ghcr.io/a/b@{SHA512}", "ghcr.io", "a/b", None, SHA512),
        # tags: word characters, dots and dashes, up to 128
        ("app:V1.2_rc-3", "docker.io", "library/app", "V1.2_rc-3", None),
        ("app:_x", "docker.io", "library/app", "_x", None),
        ("app:" + "t" * 128, "docker.io", "library/app", "t" * 128, None),
        # skopeo's transport prefix and surrounding blanks
        ("docker://127.0.0.1:5001/demo/hello:v1", "127.0.0.1:5001", "demo/hello", "v1", None),
        ("  alpine:3.20\n", "docker.io", "library/alpine", "3.20", None),
    ],
)
def test_parses_and_normalises_like_docker(
    text: str, host: str, repository: str, tag: str | None, digest: str | None
) -> None:
    assert parse_reference(text) == ImageReference(host, repository, tag, digest)


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        (f"nginx@{SHA256}", f"docker.io/library/nginx@{SHA256}"),
        (f"ghcr.io/a/b:1@{SHA256}", f"ghcr.io/a/b:1@{SHA256}"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
    ],
)
def test_str_renders_the_normalised_reference(text: str, rendered: str) -> None:
    assert str(parse_reference(text)) == rendered


def test_name_and_reference_properties() -> None:
    tagged = parse_reference("ghcr.io/acme/api:2")
    assert tagged.name == "ghcr.io/acme/api"
    assert tagged.reference == "2"
    assert parse_reference("nginx").reference == "latest"
    assert parse_reference(f"nginx:1@{SHA256}").reference == SHA256


def test_the_rendered_form_parses_back_to_the_same_reference() -> None:
    for text in ("nginx", "user/app:1", f"ghcr.io/a/b:1@{SHA256}", "[::1]:5000/x/y:z"):
        reference = parse_reference(text)
        assert parse_reference(str(reference)).name == reference.name
        assert parse_reference(str(reference)).digest == reference.digest


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("docker://", "empty"),
        ("Foo/Bar", "must be lowercase"),
        ("127.0.0.1:5001/Demo/Hello:v1", "must be lowercase"),
        ("ghcr.io/Acme/api", "'acme/api'"),
        ("a/b:v1!", "tag 'v1!'"),
        ("a/b:.hidden", "must not start with '.'"),
        ("a/b:", "tag after ':' is empty"),
        ("app:" + "t" * 129, "129 characters long; at most 128"),
        ("a/b@sha256:abc", "at least 32 hex digits"),
        ("a/b@" + "0" * 64, "algorithm:hex"),
        ("a/b@md5:" + "a" * 32, "'md5' is not supported"),
        ("a/b@sha256:" + "a" * 63, "exactly 64 hex digits; this one has 63"),
        ("a/b@sha256:" + "A" * 64, "must be lower case"),
        ("a/b@sha256:" + "a" * 64 + "@x", "algorithm:hex"),
        ("127.0.0.1:5001/demo/hello::v1", "holds a ':'"),
        ("a//b", "empty component"),
        ("a/b/", "empty component"),
        ("a/-b", "'-b'"),
        ("a/b___c", "'b___c'"),
        ("a/b..c", "'b..c'"),
        ("-bad.example.com/app", "not a valid host"),
        ("host.example.com:port/app", "not a valid host"),
        ("[::1/app", "not a valid host"),
        ("exa mple.com/app", "white space"),
        (":tag", "repository name is missing"),
        ("@" + SHA256, "repository name is missing"),
        ("0123456789abcdef" * 4, "image ID"),
        ("registry.example.com/" + "a" * 256, "256 characters long; at most 255"),
        ("x" * 2000, "too long"),
    ],
)
def test_invalid_references_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    assert says in str(caught.value)
    assert caught.value.problem in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_length_limit_counts_the_path_not_the_host() -> None:
    # As distribution/reference since v0.6.0: 255 characters of path, Docker Hub's library/
    # prefix included; the host does not count.
    with pytest.raises(InvalidReference, match="at most 255"):
        parse_reference("a" * 248)
    assert parse_reference("a" * 247).repository == "library/" + "a" * 247
    assert parse_reference("registry.example.com/" + "a" * 255).repository == "a" * 255


def test_hostile_input_is_rejected() -> None:
    hostile = [
        "a" + "-" * 1000 + "!",
        "a-" * 500 + "A",
        "a." * 500 + "/",
        "x/" + "a_" * 500 + "_",
        "h" + ".h-" * 330 + "-/x",
        "a:" + "a." * 500,
        "a@sha256:" + "a" * 1000 + "g",
    ]
    for text in hostile:
        with pytest.raises(InvalidReference):
            parse_reference(text)


@pytest.mark.parametrize(
    ("host", "normal"),
    [
        ("docker.io", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("Registry-1.Docker.IO", "docker.io"),
        ("GHCR.io", "ghcr.io"),
        ("registry.example.com.", "registry.example.com"),
        ("localhost:5000", "localhost:5000"),
    ],
)
def test_normalize_host(host: str, normal: str) -> None:
    assert normalize_host(host) == normal


@pytest.mark.parametrize(
    ("component", "is_host"),
    [("ghcr.io", True), ("localhost", True), ("reg:5000", True), ("user", False),
     ("Localhost", True), ("LOCALDOMAIN", True), ("library", False)],
)
def test_is_host_component(component: str, is_host: bool) -> None:
    assert is_host_component(component) is is_host


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("ghcr.io", True), ("a", True), ("my-reg.internal:5000", True), ("[::1]", True),
        ("[fe80::1]:443", True), ("127.0.0.1:5001", True),
        ("-x.io", False), ("x-.io", False), ("x..io", False), ("x.io:", False),
        ("x.io:80a", False), ("[::1", False), ("[::1]x", False), ("", False), ("a_b.io", False),
    ],
)
def test_is_valid_host(host: str, valid: bool) -> None:
    assert is_valid_host(host) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ghcr.io/acme/app:1.2", "ghcr.io/acme/app:1.2"),
        ("  nginx:1.27 ", "docker.io/library/nginx:1.27"),
        ("acme/app", "docker.io/acme/app:latest"),
        ("unauthorized", None),  # a word, not the Docker Hub image library/unauthorized
        ("docker pull ghcr.io/acme/app:1.2", None),
        ("ghcr.io/Acme/App:1", None),
        ("", None),
    ],
)
def test_a_lone_reference_is_recognised(text: str, expected: str | None) -> None:
    found = lone_reference(text)
    assert (str(found) if found else None) == expected
