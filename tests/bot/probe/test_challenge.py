"""WWW-Authenticate parsing, with the shapes real registries send."""

from __future__ import annotations

import pytest

from bot.probe.challenge import parse_challenges, pick


def test_docker_hub_bearer_challenge() -> None:
    (challenge,) = parse_challenges(
        [
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:samalba/my-app:pull,push"'
        ]
    )
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    # The comma inside the quoted scope belongs to the value, not to the header's list.
    assert challenge.scope == "repository:samalba/my-app:pull,push"


def test_error_parameter_after_a_401_with_a_token() -> None:
    (challenge,) = parse_challenges(
        [
            'Bearer realm="https://r/token",service="s",scope="repository:a:pull",'
            'error="insufficient_scope"'
        ]
    )
    assert challenge.error == "insufficient_scope"


def test_several_challenges_in_one_header_and_across_headers() -> None:
    found = parse_challenges(
        ['Negotiate, Basic realm="Artifactory Realm"', 'Bearer realm="https://x/t"']
    )
    assert [c.scheme for c in found] == ["negotiate", "basic", "bearer"]
    assert found[1].realm == "Artifactory Realm"
    # Bearer is preferred over Basic whatever the order.
    chosen = pick(found)
    assert chosen is not None
    assert chosen.scheme == "bearer"


def test_unquoted_values_and_odd_case() -> None:
    (challenge,) = parse_challenges(["BEARER Realm=https://gcr.io/v2/token, Service=gcr.io"])
    assert challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://gcr.io/v2/token", "service": "gcr.io"}


def test_escaped_quote_inside_a_value() -> None:
    (challenge,) = parse_challenges([r'Basic realm="say \"hi\", then go"'])
    assert challenge.realm == 'say "hi", then go'


def test_token68_schemes_do_not_swallow_the_next_challenge() -> None:
    found = parse_challenges(
        ['Negotiate YIIB3gYGKwYBBQUCoIIB0jCCAc6gMDAuBgkqhkiC9xIBAgIGCSqGSIb3Eg==, Basic realm="r"']
    )
    assert [c.scheme for c in found] == ["negotiate", "basic"]
    assert found[1].realm == "r"


@pytest.mark.parametrize("header", ["", "   ", ",,,", "Negotiate"])
def test_nothing_the_probe_can_answer(header: str) -> None:
    assert pick(parse_challenges([header])) is None
