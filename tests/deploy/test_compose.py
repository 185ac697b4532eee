"""docker-compose.yml against the Compose Specification's JSON schema, and what the quick start
relies on: Redis healthy before the bot starts, settings from .env, .env documented and never
committed.

No Docker engine runs here, so the file is validated against the schema instead of by
``docker compose config``. The schema is vendored in ``compose-spec.json``: the Compose
Specification's schema, from
https://raw.githubusercontent.com/compose-spec/compose-spec/master/schema/compose-spec.json
(Apache-2.0, licence in ``compose-spec.LICENSE``), copied from the vendored copy shipped in the
check-jsonschema 0.39.0 wheel on PyPI (sha256 d549057e...0e64).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_compose_file_follows_the_compose_specification() -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(compose())]
    assert errors == []


def test_the_schema_rejects_what_compose_would_reject() -> None:
    broken = compose()
    broken["services"]["bot"]["depends_on"]["redis"]["condition"] = "service_up"
    broken["services"]["redis"]["healtcheck"] = broken["services"]["redis"].pop("healthcheck")
    assert len(list(validator().iter_errors(broken))) >= 2


def test_bot_waits_for_a_healthy_redis_and_reads_its_settings_from_env_file() -> None:
    services = compose()["services"]
    bot, redis = services["bot"], services["redis"]
    assert bot["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert bot["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert redis["image"].startswith("redis:")  # the official image
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert bot["env_file"] == [{"path": ".env", "required": True}]
    assert bot["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert bot["read_only"] is True
    assert bot["user"] == "10001:10001"
    assert bot["cap_drop"] == ["ALL"]
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])


def test_env_example_documents_every_setting_and_holds_no_secret() -> None:
    text = (ROOT / ".env.example").read_text()
    names = {str(field.validation_alias.choices[0])  # type: ignore[union-attr]
             for field in Settings.model_fields.values()}
    missing = sorted(name for name in names if not re.search(rf"^#? ?{name}=", text, re.M))
    assert missing == []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert value == "", f"{name} has a value in .env.example"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
