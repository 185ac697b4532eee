"""Guides are filled with the paste's values, with clear placeholders for what is unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.context import Context, Registry
from knowledge.entry import Entry, RegistryFamily
from knowledge.guide import build_guide, fill, first_sentence, values_from
from knowledge.loader import KnowledgeBaseError, load_knowledge_base
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


CONDITIONAL = """
id = "alpha"
title = "Title"
meaning = "Meaning."
why = "Why."
dont = [
    "Don't always.",
    { text = "Don't on Docker Hub.", when = { registry = ["dockerhub"] } },
]
references = ["https://example.org/alpha"]

[match]
[[match.pattern]]
regex = 'alpha'
weight = 0.9

[[steps.confirm]]
text = "Confirm on {host}."
commands = ["curl -sI https://{endpoint}/v2/"]

[[steps.check]]
text = "Check the pull secret."
commands = ["kubectl get pod <pod> -o jsonpath='{.spec.imagePullSecrets}'"]
when = { environment = ["kubernetes"] }

[[steps.check]]
text = "Check the stored login."
commands = ["podman login --get-login {host}"]
when = { tool = ["podman"] }

[[steps.fix]]
text = "Log in."
commands = ["docker login {host}"]
unless = { tool = ["podman"] }

[[steps.fix]]
text = "Log in with podman."
commands = ["podman login {host}"]
when = { tool = ["podman"] }

[[steps.verify]]
text = "Push again."
commands = ["docker push {image}"]
when = { operation = ["push"] }

[[steps.verify]]
text = "Pull again."
commands = ["docker pull {image}"]

[[registry]]
family = "ecr"
text = "In CI, log in from the pipeline's role."
commands = ["aws ecr get-login-password --region {region}"]
when = { environment = ["ci"] }
"""


def _kb_entry(tmp_path: Path, text: str = CONDITIONAL) -> Entry:
    (tmp_path / "alpha.toml").write_text(text)
    return load_knowledge_base(tmp_path)["alpha"]


def test_steps_apply_only_where_their_conditions_match(tmp_path: Path) -> None:
    entry = _kb_entry(tmp_path)
    hub = Registry("docker.io", "dockerhub")
    image = ImageReference("docker.io", "library/nginx", "1.27")
    docker = build_guide(entry, Context(images=(image,), registry=hub, tool="docker"))
    assert [s.text for s in docker.check] == ["Check the stored login."]  # the fallback
    assert [s.text for s in docker.fix] == ["Log in."]
    assert docker.verify[0].commands == ("docker pull docker.io/library/nginx:1.27",)
    assert docker.confirm[0].commands == ("curl -sI https://registry-1.docker.io/v2/",)
    assert docker.dont == ("Don't always.", "Don't on Docker Hub.")
    skopeo = build_guide(entry, Context(images=(image,), tool="skopeo", operation="push"))
    assert [s.text for s in skopeo.fix] == ["Log in with podman."]  # skopeo is podman's kin
    assert [s.text for s in skopeo.verify] == ["Push again.", "Pull again."]
    assert skopeo.short.verify is not None
    assert skopeo.short.verify.commands == ("docker push docker.io/library/nginx:1.27",)
    assert skopeo.dont == ("Don't always.",)
    kube = build_guide(entry, Context(images=(image,), tool="kubelet",
                                      environments=("kubernetes",)))
    assert [s.text for s in kube.check] == ["Check the pull secret."]
    ecr = Registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ecr")
    assert build_guide(entry, Context(registry=ecr)).registry_note is None
    in_ci = build_guide(entry, Context(registry=ecr, environments=("github-actions", "ci")))
    assert in_ci.registry_note is not None
    assert in_ci.registry_note.commands == ("aws ecr get-login-password --region eu-west-1",)
    assert in_ci.short.fix[0] == in_ci.registry_note  # registry-specific advice first


def test_unknown_placeholders_are_rejected_at_load(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"alpha\.toml: steps\.fix\.0\.text.*\{hots\}"):
        _kb_entry(tmp_path, CONDITIONAL.replace('text = "Log in."', 'text = "Log in to {hots}."'))


def test_entries_without_conditions_still_load(tmp_path: Path) -> None:
    kb = build_kb(tmp_path, {"alpha": ("", [pattern("alpha", 0.9)])})
    guide = build_guide(kb["alpha"], Context(tool="podman", environments=("kubernetes",)))
    assert len(guide.fix) == 1
    assert guide.dont == ("Don't do the unsafe thing for alpha.",)


def test_first_sentence_keeps_code_whole() -> None:
    assert first_sentence("Run `docker info. b: c` on the host. Then more.") == (
        "Run `docker info. b: c` on the host.")
    assert first_sentence("Check which identity is used: a robot can pull.") == (
        "Check which identity is used.")
    assert first_sentence("Short: text stays whole") == "Short: text stays whole"


def test_paste_values_fill_their_placeholders() -> None:
    context = Context(proxy="127.0.0.1:7890", credential_helper="docker-credential-osxkeychain",
                      region="ap-southeast-2", environments=("gitlab-ci", "ci"),
                      digest="sha256:" + "b" * 64)
    values = values_from(context)
    assert fill("{proxy} {helper} {region} {ci} {digest}", values) == (
        "127.0.0.1:7890 docker-credential-osxkeychain ap-southeast-2 gitlab-ci sha256:"
        + "b" * 64)
