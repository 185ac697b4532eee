"""Error texts pasted into Slack in the bot's tests (as people paste them, before Slack escapes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ECR_NO_CREDENTIALS = (
    'Error response from daemon: Get "https://123456789012.dkr.ecr.us-east-1.amazonaws.com'
    '/v2/payments/api/manifests/2.4.1": no basic auth credentials'
)
"""Named with high confidence: ``no-basic-auth-credentials``."""

DOCKER_HUB_RATE_LIMIT = (
    "Error response from daemon: toomanyrequests: You have reached your pull rate limit. "
    "You may increase the limit by authenticating and upgrading: "
    "https://www.docker.com/increase-rate-limit"
)
"""Named with high confidence: ``rate-limited``."""

GITHUB_TOKEN = "ghp_" + "R3alLook1ngT0kenValue0123456789abcdef"[:36]
WITH_SECRET = (
    f"$ echo {GITHUB_TOKEN} | docker login 123456789012.dkr.ecr.us-east-1.amazonaws.com "
    "-u bob --password-stdin\n" + ECR_NO_CREDENTIALS
)
"""A paste carrying a GitHub token next to a named error."""

CHAT = "anyone up for lunch at 12? the new place near the office"
IMAGE_ONLY = "ghcr.io/acme/billing:1.2"

ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api:2.4.1"
ECR_PULL_SESSION = f"$ docker pull {ECR_IMAGE}\n{ECR_NO_CREDENTIALS}"
"""The same error with the command that failed: the image is known, commands are filled."""

CAPTURED_PACKAGES = Path(__file__).parents[1] / "fixtures" / "packages" / "captured"
_LOOPBACK = re.compile(r"127\.0\.0\.1:\d+")


def captured_package_output(client: str, name: str, host: str | None = None) -> str:
    """What ``client`` printed in the captured case ``name``
    (``tests/fixtures/packages/captured/<client>.toml``), with the loopback registry the case
    ran against (the one its config names) moved to ``host`` (``127.0.0.1:PORT``) if given."""
    cases = tomllib.loads((CAPTURED_PACKAGES / f"{client}.toml").read_text(encoding="utf-8"))
    case = next(c for c in cases["case"] if c["name"] == name)
    output: str = case["output"]
    if host is None:
        return output
    ran_against = _LOOPBACK.search(case["config"])
    assert ran_against is not None, f"{name} names no loopback registry in its config"
    return output.replace(ran_against.group(), host)
