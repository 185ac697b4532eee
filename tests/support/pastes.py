"""Error texts pasted into Slack in the bot's tests (as people paste them, before Slack escapes)."""

from __future__ import annotations

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
