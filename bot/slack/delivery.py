"""Calls to Slack that honour its rate limits, retry its hiccups, and never fail silently.

The SDK retries only connection errors by default. Here: 429 waits for ``Retry-After`` (when it
asks for a reasonable wait), 5xx and dropped connections retry with a short backoff, both with
a bound; whatever still fails is logged with the request it answered: as a lost reply (ERROR)
when nothing reached the person, as a warning when the caller has another way (``Delivery``).
Timeouts are not retried: the first attempt may have posted, and a reply must not appear twice.
Retries, replies posted and calls failed are counted in the metrics (``bot.observe``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable
from enum import Enum
from typing import Any, TypeVar

from aiohttp import ClientError, ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import observe
from bot.render.blocks import Message

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRY_AFTER = 60
"""Longest ``Retry-After`` (seconds) worth waiting for; a reply later than that is logged lost."""
RATE_LIMIT_RETRIES = 3
TRANSIENT_RETRIES = 2
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
RESPONSE_URL = "response_url"
"""The method name metrics give posts to a ``response_url``."""


class _ProportionalJitter(Jitter):
    # The SDK's jitter adds up to a whole second to every wait; scale it with the wait instead.
    def recalculate(self, duration: float) -> float:
        return duration * (0.5 + random.random())


_BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.25, jitter=_ProportionalJitter())
_CONNECTION_ERRORS = (ServerConnectionError, ServerDisconnectedError, ClientOSError)


def retry_after(response: HttpResponse) -> int | None:
    """The ``Retry-After`` seconds of a response, if it has a usable one."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            value = values[0] if isinstance(values, list) else values
            try:
                return max(0, int(str(value).strip()))
            except ValueError:
                return None
    return None


class RateLimitRetry(AsyncRetryHandler):
    """On 429, wait as long as ``Retry-After`` says (1 s when it says nothing), then retry."""

    def __init__(self, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            log.warning("Slack asked to wait %d s before retrying %s; not waiting that long",
                        wait, request.url)
            return False
        return True

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> None:
        wait = retry_after(response) if response is not None else None
        state.next_attempt_requested = True
        observe.slack_retry("rate_limited")
        await asyncio.sleep(1 if wait is None else wait)
        state.increment_current_attempt()


class TransientErrorRetry(AsyncRetryHandler):
    """Retry 500/502/503/504 answers and dropped connections, with a short backoff."""

    def __init__(self, max_retry_count: int = TRANSIENT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count, interval_calculator=_BACKOFF)

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> bool:
        if error is not None:
            return isinstance(error, _CONNECTION_ERRORS)
        return response is not None and response.status_code in TRANSIENT_STATUSES

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> None:
        observe.slack_retry("connection" if error is not None else "server_error")
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error)


def retry_handlers() -> list[AsyncRetryHandler]:
    """The handlers every Slack client of the bot uses."""
    return [RateLimitRetry(), TransientErrorRetry()]


def _method(response: object) -> str:
    """The API method a response answered (``chat.postMessage``), from its URL."""
    url = getattr(response, "api_url", None)
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) and url else "unknown"


REPLY_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update",
                           "views.publish"})
"""API methods whose success is a reply posted (reads such as conversations.replies are not)."""


class Delivery(Enum):
    """What a Slack call that still fails after its retries means for the person waiting."""

    REPLY = "reply"
    """The reply itself, with no other way to them: a lost reply."""
    WITH_FALLBACK = "with fallback"
    """The caller then answers another way (which reports its own loss if it fails too)."""
    READ = "read"
    """A read (``conversations.replies``) the caller answers without when it fails."""


async def deliver(what: str, request_id: str, call: Awaitable[T], *,
                  kind: Delivery = Delivery.REPLY) -> T | None:
    """Await a Slack API call; when it fails after its retries, log it with the request and
    return None. Only a failed ``Delivery.REPLY`` is a lost reply (ERROR, counted lost)."""
    try:
        result = await call
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        _failed(what, request_id, kind, _method(exc.response), str(error or "error"),
                str(error or exc))
    except (ClientError, TimeoutError) as exc:
        _failed(what, request_id, kind, "unknown", type(exc).__name__, repr(exc))
    else:
        if isinstance(result, AsyncSlackResponse) and _method(result) in REPLY_METHODS:
            observe.reply_posted(_method(result))
        return result
    return None


def _failed(what: str, request_id: str, kind: Delivery, method: str, error: str,
            detail: str) -> None:
    lost = kind is Delivery.REPLY
    observe.call_failed(method, error, lost=lost)
    if lost:
        log.error("reply lost: %s for %s failed: %s", what, request_id, detail)
    else:
        log.warning("%s for %s failed (%s): %s", what, request_id,
                    "answering another way" if kind is Delivery.WITH_FALLBACK
                    else "answering without it", detail)


async def post_to_response_url(url: str, body: dict[str, Any], request_id: str) -> bool:
    """Post to a ``response_url`` (with the same retries as API calls); False, logged, when it
    fails."""
    client = AsyncWebhookClient(url=url, timeout=10, retry_handlers=retry_handlers())
    try:
        response = await client.send_dict(body)
    except (ClientError, TimeoutError) as exc:
        observe.call_failed(RESPONSE_URL, type(exc).__name__, lost=True)
        log.error("reply lost: response_url post for %s failed: %r", request_id, exc)
        return False
    if response.status_code != 200:
        observe.call_failed(RESPONSE_URL, f"http_{response.status_code}", lost=True)
        log.error("reply lost: response_url post for %s answered %d: %s", request_id,
                  response.status_code, response.body[:200])
        return False
    if not body.get("delete_original"):
        observe.reply_posted(RESPONSE_URL)
    return True


async def respond_ephemeral(url: str, reply: Message | str, request_id: str, *,
                            replace: bool = False) -> bool:
    """Answer only the person who asked, through their request's ``response_url``;
    ``replace`` swaps the message they clicked in (an ephemeral one) for this one."""
    message = reply if isinstance(reply, Message) else Message(reply)
    body: dict[str, Any] = {"response_type": "ephemeral", "replace_original": replace,
                            "text": message.text}
    if message.blocks:
        body["blocks"] = message.blocks
    return await post_to_response_url(url, body, request_id)
