"""The registries file: what it accepts, and the messages for what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.probe import ConfigError, load_registries, parse_registries
from bot.probe.profiles import HostPort
from tests.support.certs import TestPki

GOOD = """
[probe]
total_timeout = 12

[[registry]]
host = "registry.example.com:5000"
username = "robot$puller"
password_env = "PULL_PASSWORD"
ca_file = "{ca}"
realm_hosts = ["auth.example.com"]
probe_scopes = ["team-a/*", "demo/hello"]
allowed_channels = ["C0PLATFORM"]

[[registry]]
host = "docker.io"
"""


def parse(text: str, env: dict[str, str] | None = None) -> object:
    return parse_registries(text, source=Path("registries.toml"), environ=env or {})


def test_a_good_file(pki: TestPki) -> None:
    config = parse_registries(
        GOOD.format(ca=pki.ca_cert),
        source=Path("registries.toml"),
        environ={"PULL_PASSWORD": "s3cret"},
    )
    profile = config.profile_for("Registry.Example.com:5000")
    assert profile is not None
    assert profile.endpoint == HostPort("registry.example.com", 5000)
    assert profile.credential is not None
    assert profile.credential.password() == "s3cret"
    assert "s3cret" not in repr(profile)
    assert profile.realm_allowed(HostPort("auth.example.com", 443))
    assert not profile.realm_allowed(HostPort("auth.example.com", 8443))
    assert profile.in_scope("team-a/api")
    assert not profile.in_scope("team-b/api")
    assert config.options.total_timeout == 12
    # Listing docker.io keeps its API endpoint and its token host.
    hub = config.profile_for("docker.io")
    assert hub is not None
    assert hub.endpoint == HostPort("registry-1.docker.io", 443)
    assert hub.realm_allowed(HostPort("auth.docker.io", 443))


def test_every_password_read_is_given_to_the_log_masker(pki: TestPki) -> None:
    npm = ('[[registry]]\nurl = "https://npm.example.com/repository/npm-group/"\n'
           'ecosystem = "npm"\nusername = "ci"\npassword_env = "NPM_PASSWORD"\n'
           'probe_scopes = ["@acme/*"]\n')
    config = parse_registries(
        GOOD.format(ca=pki.ca_cert) + npm,
        source=Path("registries.toml"),
        environ={"PULL_PASSWORD": "s3cret", "NPM_PASSWORD": "npm-s3cret"},
    )
    assert sorted(config.secrets()) == ["npm-s3cret", "s3cret"]


def test_no_file_means_public_registries_only_and_anonymously() -> None:
    config = load_registries(None, environ={})
    assert config.profile_for("ghcr.io") is not None
    assert config.profile_for("registry.example.com") is None
    assert all(p.credential is None and not p.allow_private for p in config.registries.values())


def test_password_file_is_read_on_use(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("first\n")
    config = parse(
        f'[[registry]]\nhost = "r.example"\nusername = "u"\npassword_file = "{secret}"\n'
        'probe_scopes = ["*"]\n'
    )
    profile = config.profile_for("r.example")  # type: ignore[attr-defined]
    assert profile.credential.password() == "first"
    secret.write_text("rotated\n")
    assert profile.credential.password() == "rotated"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('host = "r.example"\npassword = "hunter2"', "must not be in this file"),
        ('host = "https://r.example/v2"', "must be a host name"),
        ('host = "r.example:99999"', "port must be a number"),
        ('host = "r.example"\nusername = "u"', "needs password_env"),
        ('host = "r.example"\npassword_env = "X"', "needs a username"),
        (
            'host = "r.example"\nusername = "u"\npassword_env = "X"\npassword_file = "/x"\n'
            'probe_scopes = ["*"]',
            "not both",
        ),
        (
            'host = "r.example"\nscheme = "http"\nusername = "u"\npassword_env = "PW"\n'
            'probe_scopes = ["*"]',
            "only ever sent over HTTPS",
        ),
        ('host = "r.example"\nusername = "u"\npassword_env = "PW"', "needs probe_scopes"),
        ('host = "r.example"\nprobe_scopes = ["Team A"]', "not a repository pattern"),
        ('host = "r.example"\nallowed_channels = ["#general"]', "not a Slack channel id"),
        ('host = "r.example"\nrealm_hosts = ["https://auth.example"]', "must be a host name"),
        ('host = "r.example"\nallow_privat = true', "unknown field"),
        (
            'host = "r.example"\nusername = "u"\npassword_env = "UNSET_VAR"\nprobe_scopes = ["*"]',
            "UNSET_VAR (password_env) is not set",
        ),
        ('host = "r.example"\nca_file = "/nonexistent/ca.pem"', "not a readable PEM"),
        ('host = "r.example"\nauthorization = "bearer"\npassword_env = "PW"\n'
         'probe_scopes = ["*"]', "for package registries"),
        ('ecosystem = "npm"\nurl = "https://npm.example/"\nauthorization = "bearer"\n'
         'username = "u"\npassword_env = "PW"\nprobe_scopes = ["*"]', "remove username"),
        ('ecosystem = "npm"\nurl = "https://npm.example/"\nauthorization = "bearer"',
         "where the token is"),
        ('ecosystem = "npm"\nurl = "http://npm.example/"\nauthorization = "bearer"\n'
         'password_env = "PW"\nprobe_scopes = ["*"]', "only ever sent over HTTPS"),
    ],
)
def test_mistakes_are_named(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(f"[[registry]]\n{body}\n", env={"PW": "x"})
    text = str(caught.value)
    assert message in text
    assert text.startswith("registries.toml")
    assert "hunter2" not in text


def test_a_host_listed_twice() -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        parse('[[registry]]\nhost = "r.example"\n[[registry]]\nhost = "R.example"\n')


def test_the_table_is_named_in_messages() -> None:
    with pytest.raises(ConfigError, match=r"\[\[registry\]\] #2 \(bad\.example\)"):
        parse(
            '[[registry]]\nhost = "good.example"\n'
            '[[registry]]\nhost = "bad.example"\nallow_private = "yes please"\n'
        )


def test_not_toml_and_unreadable() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse("[[registry]\nhost=")
    with pytest.raises(ConfigError, match="cannot read"):
        load_registries(Path("/nonexistent/registries.toml"), environ={})


SECRET = "Zq8hunter2Wv5Kp"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(f'password_env = "{SECRET}"', "password_env names no environment variable",
                     id="password-in-password_env"),
        pytest.param(f'password_env = "{GITHUB_TOKEN}"',
                     "password_env names no environment variable", id="token-in-password_env"),
        pytest.param(f'host = "bob:{SECRET}@r.example"', "must be a host name", id="host-user"),
        pytest.param(f'host = "https://bob:{SECRET}@r.example/v2"', "must be a host name",
                     id="host-url"),
        pytest.param(f'host = "bob:{SECRET}@r.example"\nallow_private = "maybe"',
                     "[[registry]] #1 allow_private", id="host-in-the-table-label"),
        pytest.param(f'host = "bob:{SECRET}"\nallow_private = "maybe"',
                     "[[registry]] #1 allow_private", id="user-colon-password-host"),
        pytest.param(f'host = "bo b:{SECRET}"', "must be a host name", id="malformed-host"),
        pytest.param(f'host = "[bob:{SECRET}]:443"', "must be a host name", id="bracketed"),
        pytest.param(f'realm_hosts = ["bob:{SECRET}@auth.example"]', "must be a host name",
                     id="realm-user"),
        pytest.param(f'realm_hosts = ["https://{GITHUB_TOKEN}@auth.example"]',
                     "must be a host name", id="realm-token-only"),
        pytest.param(f'realm_hosts = ["auth.example:{SECRET}"]', "port must be a number",
                     id="realm-colon-password"),
        pytest.param(f'username = "bob:{SECRET}"\nprobe_scopes = ["*"]', "needs password_env",
                     id="user-colon-password"),
    ],
)
def test_messages_never_quote_a_secret_put_in_the_wrong_field(body: str, message: str) -> None:
    if "host =" not in body:
        body = f'host = "r.example"\n{body}'
    if "password_env" in body:
        body += '\nusername = "u"\nprobe_scopes = ["*"]'
    with pytest.raises(ConfigError) as caught:
        parse(f"[[registry]]\n{body}\n")
    text = str(caught.value)
    assert message in text
    assert SECRET.lower() not in text.lower()  # hosts are lower-cased before checks
    assert GITHUB_TOKEN.lower() not in text.lower()


def test_a_variable_name_is_still_named() -> None:
    with pytest.raises(ConfigError, match="environment variable REGISTRY_PASSWORD"):
        parse('[[registry]]\nhost = "r.example"\nusername = "u"\n'
              'password_env = "REGISTRY_PASSWORD"\nprobe_scopes = ["*"]\n')
