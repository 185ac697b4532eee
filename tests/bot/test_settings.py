"""Settings: read from the environment, validated with one clear line per bad variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import (
    DEFAULT_SLACK_API_URL,
    Settings,
    SettingsError,
    load_probe_config,
    load_settings,
)

ENV_VARS = (
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "PORT",
    "REGISTRY_WHY_HOST", "REDIS_URL", "REGISTRY_WHY_REDIS_PREFIX", "REGISTRY_WHY_AUTO_REPLY",
    "REGISTRY_WHY_CONFIDENCE", "REGISTRY_WHY_REPEAT_WINDOW", "REGISTRY_WHY_CHANNELS",
    "REGISTRY_WHY_REGISTRIES", "REGISTRY_WHY_PROBE", "REGISTRY_WHY_SECRETS_DIR",
    "SLACK_BOT_TOKEN_FILE", "SLACK_SIGNING_SECRET_FILE", "SLACK_APP_TOKEN_FILE", "REDIS_URL_FILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_without_environment() -> None:
    settings = load_settings()
    assert settings.port == 3000
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.confidence_threshold == 0.8
    assert settings.auto_reply is True
    assert settings.repeat_window == 1800
    assert settings.redis_url is None
    assert settings.registries_file is None
    assert settings.socket_mode is False


def test_reads_every_variable(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cr3t",
        "SLACK_APP_TOKEN": "xapp-1-A1-xyz", "SLACK_API_URL": "http://127.0.0.1:9/api",
        "PORT": "8080", "REGISTRY_WHY_HOST": "127.0.0.1",
        "REDIS_URL": "redis://:pw@cache:6380/2", "REGISTRY_WHY_REDIS_PREFIX": "team:rw",
        "REGISTRY_WHY_AUTO_REPLY": "false", "REGISTRY_WHY_CONFIDENCE": "0.9",
        "REGISTRY_WHY_REPEAT_WINDOW": "600",
        "REGISTRY_WHY_CHANNELS": '{"C0123ABCD": {"auto_reply": true, '
                                 '"confidence_threshold": 0.6}}',
        "REGISTRY_WHY_REGISTRIES": str(tmp_path / "registries.toml"),
    }
    for name, value in values.items():
        clean_env.setenv(name, value)
    settings = load_settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-2-abc"
    assert settings.socket_mode is True
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert (settings.port, settings.host) == (8080, "127.0.0.1")
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://:pw@cache:6380/2"
    assert settings.redis_prefix == "team:rw"
    assert settings.registries_file == tmp_path / "registries.toml"
    assert settings.policy_for("C0123ABCD") == (True, 0.6)
    assert settings.policy_for("C0OTHER") == (False, 0.9)
    assert settings.repeat_window == 600


def test_every_bad_value_is_named_and_secrets_are_not_echoed(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxp-user-token-value")
    clean_env.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind-value")
    clean_env.setenv("SLACK_API_URL", "ftp://slack.example")
    clean_env.setenv("PORT", "http")
    clean_env.setenv("REGISTRY_WHY_CONFIDENCE", "1.5")
    clean_env.setenv("REDIS_URL", "mysql://db")
    clean_env.setenv("REGISTRY_WHY_CHANNELS", '{"#general": {"auto_reply": false}}')
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    lines = message.splitlines()[1:]
    named = [line.split(":")[0].strip() for line in lines]
    assert named == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "PORT",
                     "REDIS_URL", "REGISTRY_WHY_CONFIDENCE", "REGISTRY_WHY_CHANNELS"]
    assert "user token" in lines[0]
    assert "xapp-" in lines[1]
    assert "channel IDs" in lines[-1]
    for secret in ("xoxp-user-token-value", "xoxb-wrong-kind-value", "mysql://db"):
        assert secret not in message


def test_invalid_json_for_channels_is_explained(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REGISTRY_WHY_CHANNELS", "{auto_reply: false}")
    with pytest.raises(SettingsError, match=r"REGISTRY_WHY_CHANNELS: is not valid JSON"):
        load_settings()


def test_bad_channel_override_names_the_channel() -> None:
    with pytest.raises(SettingsError, match=r"channel C0123ABCD, confidence_threshold"):
        load_settings(channels={"C0123ABCD": {"confidence_threshold": 7}})


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        pytest.param({}, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"], id="nothing"),
        pytest.param({"slack_bot_token": "xoxb-1"}, ["SLACK_SIGNING_SECRET"], id="http-mode"),
        pytest.param({"slack_app_token": "xapp-1"}, ["SLACK_BOT_TOKEN"], id="socket-mode"),
    ],
)
def test_require_slack_names_missing_tokens(values: dict[str, str], missing: list[str]) -> None:
    settings = load_settings(**values)
    with pytest.raises(SettingsError) as caught:
        settings.require_slack()
    named = [line.split(":")[0].strip() for line in str(caught.value).splitlines()[1:]]
    assert named == missing


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}, id="socket"),
        pytest.param({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, id="http"),
    ],
)
def test_two_variables_are_enough_to_serve(values: dict[str, str]) -> None:
    load_settings(**values).require_slack()


def test_settings_are_immutable() -> None:
    settings = Settings(port=1)
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("probe", "with_file", "enabled"),
    [
        pytest.param(None, False, False, id="default-off"),
        pytest.param(None, True, True, id="a-file-turns-it-on"),
        pytest.param("true", False, True, id="public-registries-only"),
        pytest.param("false", True, False, id="off-despite-a-file"),
    ],
)
def test_the_probe_is_on_when_asked_or_given_a_registries_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, probe: str | None, with_file: bool,
    enabled: bool,
) -> None:
    path = tmp_path / "registries.toml"
    path.write_text('[[registry]]\nhost = "registry.example.com"\n')
    if probe is not None:
        clean_env.setenv("REGISTRY_WHY_PROBE", probe)
    if with_file:
        clean_env.setenv("REGISTRY_WHY_REGISTRIES", str(path))
    settings = load_settings()
    assert settings.probe_enabled is enabled
    config = load_probe_config(settings)
    assert (config is not None) is enabled
    if config is not None:
        assert config.profile_for("ghcr.io") is not None  # the public registries, anonymously
        assert (config.profile_for("registry.example.com") is not None) is with_file


def test_a_bad_registries_file_stops_the_start_with_what_to_fix(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "registries.toml"
    path.write_text('[[registry]]\nhost = "reg.example.com"\nusername = "robot"\n'
                    'password_env = "RW_TEST_UNSET_PASSWORD"\nprobe_scopes = ["team/*"]\n')
    clean_env.setenv("REGISTRY_WHY_REGISTRIES", str(path))
    with pytest.raises(SettingsError) as caught:
        load_probe_config(load_settings(), environ={})
    message = str(caught.value)
    assert message.startswith("registry-why cannot start")
    assert f"REGISTRY_WHY_REGISTRIES: {path}: [[registry]] #1 (reg.example.com)" in message
    assert "RW_TEST_UNSET_PASSWORD (password_env) is not set" in message
    # Given the secret, the same file loads; the password itself never shows in messages.
    config = load_probe_config(load_settings(),
                               environ={"RW_TEST_UNSET_PASSWORD": "hunter2-secret"})
    assert config is not None
    assert "hunter2-secret" not in repr(config)


def test_a_missing_registries_file_is_named(clean_env: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    clean_env.setenv("REGISTRY_WHY_REGISTRIES", str(tmp_path / "nowhere.toml"))
    with pytest.raises(SettingsError, match=r"REGISTRY_WHY_REGISTRIES: .*nowhere.toml: cannot "
                                            r"read the registries file"):
        load_probe_config(load_settings())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("redis://:Xk9#mP2vQwZ7@127.0.0.1:6379/0", "percent-encode", id="hash"),
        pytest.param("redis://default:p/ss@w0rdLongSecret@cache:6379/0", "percent-encode",
                     id="slash-and-at"),
        pytest.param("redis://127.0.0.1:6379/cache", "must be a number", id="named-database"),
        pytest.param("redis://", "needs a host", id="no-host"),
    ],
)
def test_unusable_redis_urls_are_explained_without_the_password(
    clean_env: pytest.MonkeyPatch, url: str, message: str,
) -> None:
    clean_env.setenv("REDIS_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    report = str(raised.value)
    assert "REDIS_URL: " in report
    assert message in report
    for fragment in ("Xk9", "mP2vQwZ7", "w0rdLongSecret", "p/ss"):
        assert fragment not in report


def test_percent_encoded_redis_password_is_accepted(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REDIS_URL", "rediss://default:p%2Fss%40w0rd%23x@cache:6380/1")
    settings = load_settings()
    assert settings.redis_url is not None


def test_secrets_lose_surrounding_whitespace(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", " xoxb-1-2-abc\n")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s3cr3t\n")
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1-A1-xyz ")
    settings = load_settings()
    assert [s.get_secret_value() for s in (settings.slack_bot_token,
                                           settings.slack_signing_secret,
                                           settings.slack_app_token) if s is not None] == [
        "xoxb-1-2-abc", "s3cr3t", "xapp-1-A1-xyz"]


def test_empty_variables_are_not_set(clean_env: pytest.MonkeyPatch) -> None:
    # As Compose passes the blank lines of an env file: empty means "keep the default".
    for name in ENV_VARS:
        clean_env.setenv(name, "")
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1-A1-xyz")
    settings = load_settings()
    settings.require_slack()
    assert settings.slack_signing_secret is None
    assert (settings.port, settings.host, settings.confidence_threshold) == (3000, "0.0.0.0", 0.8)
    assert settings.probe is None
    assert settings.registries_file is None
    assert settings.redis_url is None
    assert settings.channels == {}


def test_a_blank_signing_secret_is_not_set_so_http_mode_names_it(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    clean_env.setenv("SLACK_SIGNING_SECRET", "  \n")
    clean_env.setenv("SLACK_APP_TOKEN", "")
    settings = load_settings()
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET: required in HTTP mode"):
        settings.require_slack()


def _secret(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_secrets_are_read_from_their_files(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN_FILE", str(_secret(tmp_path, "bot", "xoxb-1-2-file\n")))
    clean_env.setenv("SLACK_SIGNING_SECRET_FILE", str(_secret(tmp_path, "signing", "s3cr3t")))
    clean_env.setenv("SLACK_APP_TOKEN_FILE", str(_secret(tmp_path, "app", "xapp-1-A1-file")))
    clean_env.setenv("REDIS_URL_FILE", str(_secret(tmp_path, "redis", "redis://:pw@cache:6379/0")))
    clean_env.setenv("SLACK_APP_TOKEN", "")  # empty: not set, so the file is no conflict
    settings = load_settings()
    assert [s.get_secret_value() for s in (
        settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
        settings.redis_url) if s is not None] == [
        "xoxb-1-2-file", "s3cr3t", "xapp-1-A1-file", "redis://:pw@cache:6379/0"]


def test_a_secrets_directory_fills_the_secrets_it_holds(
    clean_env: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # As Kubernetes mounts a Secret: one file per key (behind symlinks), optional keys absent.
    data = tmp_path / "..data"
    data.mkdir()
    _secret(data, "SLACK_BOT_TOKEN", "xoxb-1-2-dir\n")
    (tmp_path / "SLACK_BOT_TOKEN").symlink_to(data / "SLACK_BOT_TOKEN")
    _secret(tmp_path, "SLACK_SIGNING_SECRET", "from-dir")
    clean_env.setenv("REGISTRY_WHY_SECRETS_DIR", str(tmp_path))
    clean_env.setenv("SLACK_SIGNING_SECRET", "from-env")  # a variable wins over the directory
    settings = load_settings()
    settings.require_slack()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-2-dir"
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == "from-env"
    assert settings.slack_app_token is None


def test_unusable_secret_files_are_named_without_their_content(
    clean_env: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    unreadable = _secret(tmp_path, "unreadable", "xoxb-unreadable-value")
    unreadable.chmod(0)
    if os.geteuid() == 0:  # root reads any file; this one fails on read instead (EIO)
        unreadable = Path("/proc/self/mem")
    clean_env.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    clean_env.setenv("SLACK_SIGNING_SECRET_FILE", str(_secret(tmp_path, "empty", " \n")))
    clean_env.setenv("SLACK_APP_TOKEN_FILE", str(unreadable))
    clean_env.setenv("REDIS_URL_FILE", str(tmp_path))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()[1:]
    assert lines[0].strip() == f"REDIS_URL_FILE: {tmp_path}: is a directory, not a file"
    assert lines[1].strip().startswith(f"SLACK_APP_TOKEN_FILE: {unreadable}: cannot be read")
    assert lines[2].strip() == f"SLACK_BOT_TOKEN_FILE: {tmp_path / 'missing'}: no such file"
    assert lines[3].strip() == f"SLACK_SIGNING_SECRET_FILE: {tmp_path / 'empty'}: is empty"
    assert "xoxb-unreadable-value" not in str(caught.value)


def test_a_secret_given_twice_or_a_missing_directory_is_an_error(
    clean_env: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-env")
    clean_env.setenv("SLACK_BOT_TOKEN_FILE", str(_secret(tmp_path, "bot", "xoxb-1-2-file")))
    clean_env.setenv("REGISTRY_WHY_SECRETS_DIR", str(tmp_path / "not-mounted"))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"REGISTRY_WHY_SECRETS_DIR: {tmp_path / 'not-mounted'}: not a directory" in message
    assert "SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are both set; keep one" in message
    assert "xoxb-1-2" not in message


def test_a_bad_token_in_a_file_names_the_file_not_the_token(
    clean_env: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    path = _secret(tmp_path, "bot", "xoxp-user-token-value")
    clean_env.setenv("SLACK_BOT_TOKEN_FILE", str(path))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert (f"SLACK_BOT_TOKEN (read from SLACK_BOT_TOKEN_FILE {path}): must be a bot token"
            in message)
    assert "xoxp-user-token-value" not in message
