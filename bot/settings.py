"""Runtime settings: the only place that reads the environment.

Every value is validated when the bot starts, and a bad value is reported with the variable's
name and what to do about it (never with a secret's value)::

    settings = load_settings()          # raises SettingsError, one line per bad variable
    settings.require_slack()            # before serving: the tokens the chosen mode needs

Environment variables:

==================================  ==========================================================
``SLACK_BOT_TOKEN``                 Bot User OAuth Token (``xoxb-...``)
``SLACK_SIGNING_SECRET``            Signing secret, checks HTTP-mode requests come from Slack
``SLACK_APP_TOKEN``                 App-level token (``xapp-...``): selects Socket Mode
``SLACK_API_URL``                   Base URL of Slack's Web API (default Slack's own)
``PORT``                            HTTP port (default 3000)
``REGISTRY_WHY_HOST``               Address to listen on (default 0.0.0.0)
``REDIS_URL``                       ``redis://`` / ``rediss://`` / ``unix://``; none: in-process
``REGISTRY_WHY_REDIS_PREFIX``       Key prefix in Redis (default ``registry-why``)
``REGISTRY_WHY_AUTO_REPLY``         Reply to pasted errors in channels (default true)
``REGISTRY_WHY_CONFIDENCE``         Confidence an auto-reply needs, 0..1 (default 0.8)
``REGISTRY_WHY_REPEAT_WINDOW``      Seconds a repeated cause stays counted (default 1800; 0 off)
``REGISTRY_WHY_CHANNELS``           Per-channel overrides, JSON:
                                    ``{"C0123": {"auto_reply": false}}``
``REGISTRY_WHY_REGISTRIES``         Path of the TOML registries file (for the probe, see
                                    docs/probe.md); giving one turns the probe on
``REGISTRY_WHY_PROBE``              Offer the registry probe in Slack (default: on exactly
                                    when a registries file is given; ``true`` without a file
                                    probes the well-known public registries anonymously;
                                    ``false`` turns it off even with a file)
``REGISTRY_WHY_INCIDENT_CHANNEL``   Channel id where incident cards are posted (none: incidents
                                    are tracked and shown in replies and the status board only)
``REGISTRY_WHY_INCIDENT_MIN_REPORTS`` Reports that open an incident (default 3; from 2+ people
                                    or channels)
``REGISTRY_WHY_INCIDENT_WINDOW``    Seconds those reports must fall within (default 900)
``REGISTRY_WHY_INCIDENT_REPROBE``   Seconds between re-probes of an open incident (default 60)
``REGISTRY_WHY_SECRETS_DIR``        A directory of files named after the secret variables
                                    (``SLACK_BOT_TOKEN``, ...), as Kubernetes mounts a Secret
==================================  ==========================================================

An empty variable counts as not set (``KEY=`` lines in an env file keep the default). Each
secret (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``, ``REDIS_URL``) can
instead be read from a file: ``SLACK_BOT_TOKEN_FILE=/run/secrets/bot-token``, or a file of that
name in ``REGISTRY_WHY_SECRETS_DIR``. A variable and its ``_FILE`` both set is an error; a file
in the secrets directory only fills a secret that neither gives.

The registries file is read and checked at start too (:func:`load_probe_config`), so a bad
entry stops the bot with the file, table and field to fix rather than failing on a click.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import SplitResult, urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import RegistryWhyError
from bot.probe import ConfigError, ProbeConfig, load_registries
from bot.slack.ids import CHANNEL_ID
from knowledge import Location, Strict, describe_problems

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SECRETS_DIR_VARIABLE = "REGISTRY_WHY_SECRETS_DIR"
MAX_SECRET_FILE_BYTES = 64 * 1024
"""A secret file larger than this is a mistake (a wrong path), not a token."""

_PREFIX = re.compile(r"^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$")


class SettingsError(RegistryWhyError):
    """Settings that cannot be used; the message names each variable and how to fix it."""


class ChannelPolicy(Strict):
    """Overrides for one channel; unset fields keep the global setting."""

    auto_reply: bool | None = None
    confidence_threshold: float | None = Field(default=None, ge=0, le=1)


def _env(name: str, *fields: str) -> Any:
    """An alias reading ``name`` from the environment, and the field name from keyword args."""
    return AliasChoices(name, *fields)


class Settings(BaseSettings):
    """Everything the bot needs to run, read from the environment (or given as arguments)."""

    # env_ignore_empty: Compose and Kubernetes pass an empty value for a variable left blank
    # (``SLACK_APP_TOKEN=`` in .env.example means "HTTP mode"), and it must mean "not set".
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True,
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_BOT_TOKEN", "slack_bot_token"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET", "slack_signing_secret"))
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_APP_TOKEN", "slack_app_token"))
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL, validation_alias=_env("SLACK_API_URL", "slack_api_url"))
    port: int = Field(default=3000, ge=0, le=65535, validation_alias=_env("PORT", "port"))
    host: str = Field(
        default="0.0.0.0", min_length=1, validation_alias=_env("REGISTRY_WHY_HOST", "host"))
    redis_url: SecretStr | None = Field(
        default=None, validation_alias=_env("REDIS_URL", "redis_url"))
    redis_prefix: str = Field(
        default="registry-why",
        validation_alias=_env("REGISTRY_WHY_REDIS_PREFIX", "redis_prefix"))
    auto_reply: bool = Field(
        default=True, validation_alias=_env("REGISTRY_WHY_AUTO_REPLY", "auto_reply"))
    confidence_threshold: float = Field(
        default=0.8, ge=0, le=1,
        validation_alias=_env("REGISTRY_WHY_CONFIDENCE", "confidence_threshold"))
    repeat_window: int = Field(
        default=1800, ge=0, le=7 * 24 * 3600,
        validation_alias=_env("REGISTRY_WHY_REPEAT_WINDOW", "repeat_window"))
    channels: Annotated[dict[str, ChannelPolicy], NoDecode] = Field(
        default_factory=dict, validation_alias=_env("REGISTRY_WHY_CHANNELS", "channels"))
    registries_file: Path | None = Field(
        default=None, validation_alias=_env("REGISTRY_WHY_REGISTRIES", "registries_file"))
    probe: bool | None = Field(
        default=None, validation_alias=_env("REGISTRY_WHY_PROBE", "probe"))
    incident_channel: str | None = Field(
        default=None, validation_alias=_env("REGISTRY_WHY_INCIDENT_CHANNEL", "incident_channel"))
    incident_min_reports: int = Field(
        default=3, ge=2, le=10_000,
        validation_alias=_env("REGISTRY_WHY_INCIDENT_MIN_REPORTS", "incident_min_reports"))
    incident_window: int = Field(
        default=900, ge=10, le=7 * 24 * 3600,
        validation_alias=_env("REGISTRY_WHY_INCIDENT_WINDOW", "incident_window"))
    incident_reprobe: int = Field(
        default=60, ge=1, le=24 * 3600,
        validation_alias=_env("REGISTRY_WHY_INCIDENT_REPROBE", "incident_reprobe"))

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _strip_secret(cls, value: Any) -> Any:
        # Copied from a web page or a file, a secret often brings a newline or spaces along;
        # kept, they would make Slack refuse every token and every request signature fail.
        # Blank once stripped is not set, like an empty variable.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            hint = (" (this looks like a user token; use the Bot User OAuth Token)"
                    if value.get_secret_value().startswith("xoxp-") else "")
            raise ValueError("must be a bot token starting with 'xoxb-' from the app's "
                             f"OAuth & Permissions page{hint}")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with 'xapp-' (Basic "
                             "Information > App-Level Tokens, scope connections:write)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must start with redis://, rediss:// or unix://")
        if parts.scheme != "unix":
            _check_redis_address(parts)
        return value

    @field_validator("redis_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError("must be letters, digits, '.', '_', '-' in ':'-separated parts, "
                             "for example 'registry-why' or 'team:registry-why'")
        return value

    @field_validator("incident_channel")
    @classmethod
    def _incident_channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.match(value.strip()):
            raise ValueError("must be a channel id such as C0123ABCD (not its #name): the "
                             "channel's details in Slack show it")
        return value.strip() if value is not None else None

    @field_validator("channels", mode="before")
    @classmethod
    def _channels_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos}); "
                             'expected {"C0123ABCD": {"auto_reply": false}}') from None

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: dict[str, ChannelPolicy]) -> dict[str, ChannelPolicy]:
        bad = [key for key in value if not CHANNEL_ID.match(key)]
        if bad:
            raise ValueError(f"keys must be channel IDs such as C0123ABCD (not names): {bad}")
        return value

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is set; HTTP mode otherwise."""
        return self.slack_app_token is not None

    @property
    def probe_enabled(self) -> bool:
        """Whether Slack users may probe registries: as ``REGISTRY_WHY_PROBE`` says, and by
        default exactly when the operator gave a registries file."""
        return self.probe if self.probe is not None else self.registries_file is not None

    def policy_for(self, channel: str) -> tuple[bool, float]:
        """``(auto_reply, confidence_threshold)`` in effect for a channel."""
        override = self.channels.get(channel)
        auto = self.auto_reply
        threshold = self.confidence_threshold
        if override is not None:
            auto = auto if override.auto_reply is None else override.auto_reply
            if override.confidence_threshold is not None:
                threshold = override.confidence_threshold
        return auto, threshold

    def require_slack(self) -> None:
        """Check that the tokens needed to serve Slack in the chosen mode are present."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN: required to serve Slack (the xoxb- Bot User "
                           "OAuth Token)")
        if not self.socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET: required in HTTP mode (or set "
                           "SLACK_APP_TOKEN to use Socket Mode instead)")
        if missing:
            raise SettingsError(_report(missing))


_ENV_NAMES = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}
_FIELDS_BY_ENV = {env: name for name, env in _ENV_NAMES.items()}
_SECRET_FIELDS = frozenset({"slack_bot_token", "slack_signing_secret", "slack_app_token",
                            "redis_url"})


def _check_redis_address(parts: SplitResult) -> None:
    """Host, port and database of a ``redis(s)://`` URL; messages never quote the URL (it
    may hold a password)."""
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.fragment or "@" in parts.path or port == -1:
        # An unencoded '#', '/' or '@' in the password cuts the URL in the wrong place.
        raise ValueError("cannot be read: percent-encode special characters in the password "
                         "(# -> %23, / -> %2F, @ -> %40)")
    if not parts.hostname:
        raise ValueError("needs a host, for example redis://redis:6379/0")
    if not re.fullmatch(r"/?\d*", parts.path):
        raise ValueError("the database after the host must be a number, for example "
                         "redis://redis:6379/0")


def _report(problems: list[str]) -> str:
    return "registry-why cannot start; fix these settings:\n" + "\n".join(
        f"  {p}" for p in problems)


def _field(loc: Location) -> str:
    """The settings field a problem is about (pydantic names it by its variable or field)."""
    given = str(loc[0]) if loc else ""
    return _FIELDS_BY_ENV.get(given.upper(), given)


def _describe(error: ValidationError, origins: Mapping[str, str]) -> list[str]:
    def label(loc: Location) -> str:
        field = _field(loc)
        name = _ENV_NAMES.get(field, field.upper())
        if field in origins:
            name = f"{name} (read from {origins[field]})"
        if field == "channels" and len(loc) > 2:
            name += f" (channel {loc[1]}, {'.'.join(str(part) for part in loc[2:])})"
        return name

    return describe_problems(
        error, label=label, quote_input=lambda loc: _field(loc) not in _SECRET_FIELDS)


def load_probe_config(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> ProbeConfig | None:
    """The probe's registries and limits when the probe is enabled, else None.

    ``environ`` is where the file's ``password_env`` names are looked up (this process's
    environment when None). Raises SettingsError naming ``REGISTRY_WHY_REGISTRIES`` and the
    file's table and field to fix.
    """
    if not settings.probe_enabled:
        return None
    try:
        config = load_registries(settings.registries_file,
                                 environ=os.environ if environ is None else environ)
    except ConfigError as exc:
        raise SettingsError(_report([f"REGISTRY_WHY_REGISTRIES: {exc}"])) from None
    return config


def _read_secret_file(path: Path) -> str:
    """A secret file's text; a ValueError says what is wrong with the file (never its
    content)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SECRET_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a directory, not a file") from None
    except PermissionError:
        raise ValueError(f"cannot be read by user {os.getuid()}: check the file's owner and "
                         "mode (in Kubernetes, the volume's defaultMode or the pod's fsGroup)"
                         ) from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise ValueError(f"is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB, so it is not "
                         "a token or a secret")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    if not text.strip():
        raise ValueError("is empty")
    return text


def _secret_files(
    environ: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Secrets given as files (``NAME_FILE``, or ``NAME`` in the secrets directory): their
    values by field, where each was read from, and the problems found."""
    env = {key.upper(): value for key, value in environ.items() if value}
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []
    directory = env.get(SECRETS_DIR_VARIABLE)
    if directory is not None and not Path(directory).is_dir():
        problems.append(f"{SECRETS_DIR_VARIABLE}: {directory}: not a directory (mount the "
                        "secret there, or unset the variable)")
        directory = None
    for name in sorted(_ENV_NAMES[field] for field in _SECRET_FIELDS):
        file_variable = f"{name}_FILE"
        if file_variable in env:
            if name in env:
                problems.append(f"{name} and {file_variable} are both set; keep one of them")
                continue
            path, origin = Path(env[file_variable]), file_variable
        elif directory is not None and name not in env and os.path.lexists(
                Path(directory) / name):
            path, origin = Path(directory) / name, SECRETS_DIR_VARIABLE
        else:
            continue
        try:
            values[_FIELDS_BY_ENV[name]] = _read_secret_file(path)
        except ValueError as exc:
            problems.append(f"{origin}: {path}: {exc}")
        else:
            origins[_FIELDS_BY_ENV[name]] = f"{origin} {path}"
    return values, origins, problems


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings (secrets from their files too); raise SettingsError
    naming every bad variable."""
    values, origins, problems = _secret_files(os.environ)
    try:
        settings = Settings(**{**values, **overrides})
    except ValidationError as exc:
        raise SettingsError(_report(problems + _describe(exc, origins))) from None
    if problems:
        raise SettingsError(_report(problems))
    return settings
