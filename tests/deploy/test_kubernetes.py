"""deploy/kubernetes: every manifest valid against Kubernetes' own schemas (offline, from
kubernetes-validate, strict: unknown fields are errors), the ConfigMap kustomize generates
included, and the properties the deployment docs promise."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.probe import load_registries
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
VERSIONS = ("1.28", "1.37")
"""The oldest Kubernetes these manifests target, and the newest the schemas know."""
EXAMPLES = ("secret.example.yaml",)
"""Manifests shipped as examples, not applied by kustomize."""


def kustomization() -> dict[str, Any]:
    data = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    assert isinstance(data, dict)
    return data


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((KUBE / name).read_text()) if doc]


def generated_config_maps() -> list[dict[str, Any]]:
    """What the kustomization's configMapGenerator produces (its data, before the hash)."""
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": generator["name"], "namespace": kustomization()["namespace"]},
             "data": {Path(f).name: (KUBE / f).read_text() for f in generator["files"]}}
            for generator in kustomization()["configMapGenerator"]]


def resources() -> list[dict[str, Any]]:
    """Everything ``kubectl apply -k`` creates."""
    return [doc for name in kustomization()["resources"] for doc in documents(name)] + \
        generated_config_maps()


def by_kind(kind: str, name: str) -> dict[str, Any]:
    [found] = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def validate(resource: dict[str, Any]) -> None:
    for version in VERSIONS:
        kubernetes_validate.validate(resource, version, strict=True)


def test_every_yaml_file_is_a_resource_or_a_named_example() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed | set(EXAMPLES)
    assert not listed & set(EXAMPLES)


@pytest.mark.parametrize("name", sorted({p.name for p in KUBE.glob("*.yaml")}
                                        - {"kustomization.yaml"}))
def test_manifest_is_valid_kubernetes(name: str) -> None:
    docs = documents(name)
    assert docs
    for doc in docs:
        validate(doc)


def test_generated_config_map_is_valid_and_the_registries_file_loads() -> None:
    for config_map in generated_config_maps():
        validate(config_map)
    config = load_registries(KUBE / "registries.toml", environ={})
    assert config.profile_for("docker.io") is not None


def test_validation_rejects_an_unknown_field() -> None:
    deployment = copy.deepcopy(by_kind("Deployment", "registry-why"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)


def pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_kind("Deployment", name)["spec"]["template"]["spec"]
    return spec


def test_bot_runs_replicated_probed_bounded_and_unprivileged() -> None:
    deployment = by_kind("Deployment", "registry-why")
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = pod("registry-why")
    [bot] = spec["containers"]
    assert bot["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert spec["automountServiceAccountToken"] is False
    assert spec["terminationGracePeriodSeconds"] > 5 + 10  # preStop + the bot's drain
    mounts = {m["mountPath"]: m["name"] for m in bot["volumeMounts"]}
    assert mounts["/etc/registry-why"] == "registries"
    env = {e["name"]: e for e in bot["env"]}
    assert env["REGISTRY_WHY_REGISTRIES"]["value"] == "/etc/registry-why/registries.toml"


def test_slack_secrets_are_files_the_bot_reads(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    spec = pod("registry-why")
    [bot] = spec["containers"]
    env = {e["name"]: e for e in bot["env"]}
    assert not {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"} & set(env)
    directory = env["REGISTRY_WHY_SECRETS_DIR"]["value"]
    volume = {m["mountPath"]: m["name"] for m in bot["volumeMounts"]}[directory]
    source = {v["name"]: v for v in spec["volumes"]}[volume]["secret"]
    assert source["secretName"] == "registry-why-slack"
    assert "optional" not in source  # no bot token, no start: say so before the pod runs
    # The example Secret's keys, mounted as Kubernetes does, are what the settings read.
    [example] = [d for d in documents("secret.example.yaml")
                 if d["metadata"]["name"] == "registry-why-slack"]
    for key, value in example["stringData"].items():
        (tmp_path / key).write_text(value.replace("REPLACE-ME", "1-2-abc"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGISTRY_WHY_SECRETS_DIR", str(tmp_path))
    settings = load_settings()
    settings.require_slack()
    assert settings.socket_mode


@pytest.mark.parametrize("name", ["registry-why", "redis"])
def test_containers_have_limits_and_a_restricted_security_context(name: str) -> None:
    spec = pod(name)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec["containers"]:
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]


def test_secrets_are_only_referenced_never_inline() -> None:
    secret_names = ("TOKEN", "SECRET", "PASSWORD", "REDIS_URL")
    for resource in resources():
        assert resource["kind"] != "Secret", "Secrets are created outside the repository"
        if resource["kind"] != "Deployment":
            continue
        for container in resource["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if env["name"] == "REGISTRY_WHY_SECRETS_DIR":  # a path
                    continue
                if any(word in env["name"] for word in secret_names):
                    assert "value" not in env
                    assert "secretKeyRef" in env["valueFrom"]
    for example in documents("secret.example.yaml"):
        assert all("REPLACE-ME" in value or value.startswith("redis://redis:")
                   for value in example["stringData"].values())


def test_disruption_budget_service_and_policies_select_the_bot() -> None:
    labels: dict[str, str] = by_kind("Deployment", "registry-why")["spec"]["template"][
        "metadata"]["labels"]

    def selects(selector: dict[str, str]) -> bool:
        return selector.items() <= labels.items()

    budget = by_kind("PodDisruptionBudget", "registry-why")
    assert budget["spec"]["minAvailable"] == 1
    assert selects(budget["spec"]["selector"]["matchLabels"])
    assert selects(by_kind("Service", "registry-why")["spec"]["selector"])
    assert selects(by_kind("NetworkPolicy", "registry-why")["spec"]["podSelector"]["matchLabels"])


def test_egress_is_limited_to_redis_dns_and_https() -> None:
    policy = by_kind("NetworkPolicy", "registry-why")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    ports = sorted((p["protocol"], p["port"]) for rule in policy["egress"]
                   for p in rule["ports"])
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 6379), ("UDP", 53)]
    redis_labels = by_kind("Deployment", "redis")["spec"]["template"]["metadata"]["labels"]
    to_redis = next(rule for rule in policy["egress"] if rule["ports"][0]["port"] == 6379)
    assert to_redis["to"][0]["podSelector"]["matchLabels"].items() <= redis_labels.items()
    https = next(rule for rule in policy["egress"] if rule["ports"][0]["port"] == 443)
    blocked = {cidr for block in https["to"] for cidr in block["ipBlock"]["except"]}
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= blocked
    redis_policy = by_kind("NetworkPolicy", "redis")["spec"]
    assert "Egress" in redis_policy["policyTypes"]
    assert "egress" not in redis_policy  # Redis connects to nothing


def test_image_is_set_by_kustomize() -> None:
    [image] = kustomization()["images"]
    assert pod("registry-why")["containers"][0]["image"] == image["name"]
