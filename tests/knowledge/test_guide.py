"""Guides are filled with the paste's values, with clear placeholders for what is unknown."""

from __future__ import annotations

from pathlib import Path

from knowledge.context import Context, Registry
from knowledge.entry import RegistryFamily
from knowledge.guide import build_guide, fill, values_from
from knowledge.reference import ImageReference
from tests.knowledge.kb_builder import build_kb, pattern


def test_known_values_fill_and_unknown_ones_get_placeholders() -> None:
    values = {"host": "ghcr.io"}
    assert fill("docker login {host} && docker pull {image}", values) == (
        "docker login ghcr.io && docker pull <image>"
    )


def test_other_braces_are_left_alone() -> None:
    template = "skopeo inspect --format '{{.Digest}}' {image} {unknown}"
    assert fill(template, {"image": "x"}) == "skopeo inspect --format '{{.Digest}}' x {unknown}"


def test_guide_uses_the_image_and_the_registry_note(tmp_path: Path) -> None:
    kb = build_kb(tmp_path, {"alpha": ("", [pattern("alpha", 0.9)])})
    image = ImageReference("ghcr.io", "org/app", "1.2")
    context = Context(images=(image,), registry=Registry("ghcr.io", "ghcr"), platform="linux/arm64")
    guide = build_guide(kb["alpha"], context)
    assert guide.confirm[0].text == "Confirm alpha on ghcr.io."
    assert guide.confirm[0].commands == ("skopeo inspect docker://ghcr.io/org/app:1.2",)
    assert guide.fix[0].text == "Fix alpha for org/app at 1.2; leave {{.Digest}} alone."
    assert guide.verify[0].text == "Verify alpha with platform linux/arm64."
    assert guide.registry_note is not None
    assert guide.registry_note.text == "On GHCR, alpha differs."


def test_without_context_the_guide_says_what_to_substitute(tmp_path: Path) -> None:
    kb = build_kb(tmp_path, {"alpha": ("", [pattern("alpha", 0.9)])})
    guide = build_guide(kb["alpha"], Context())
    assert guide.confirm[0].commands == ("skopeo inspect docker://<image>",)
    assert guide.confirm[0].text == "Confirm alpha on <registry-host>."
    assert guide.registry_note is None


def test_network_commands_get_the_host_name_and_port() -> None:
    def network(host: str) -> str:
        context = Context(registry=Registry(host, "self-hosted"))
        return fill("openssl s_client -connect {hostname}:{port} # {host}", values_from(context))

    assert network("registry.example.com:5000") == (
        "openssl s_client -connect registry.example.com:5000 # registry.example.com:5000"
    )
    assert network("ghcr.io") == "openssl s_client -connect ghcr.io:443 # ghcr.io"
    # Docker Hub images name docker.io; the registry answers at its API endpoint.
    assert network("docker.io") == "openssl s_client -connect registry-1.docker.io:443 # docker.io"


def test_cloud_registries_fill_their_region() -> None:
    def region(host: str, family: RegistryFamily) -> str:
        return fill("--region {region}", values_from(Context(registry=Registry(host, family))))

    assert region("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ecr") == "--region eu-west-1"
    assert region("europe-west1-docker.pkg.dev", "gar") == "--region europe-west1"
    assert region("ghcr.io", "ghcr") == "--region <region>"
