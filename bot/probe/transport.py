"""The HTTP client the probe uses: pinned addresses, exact failure causes, bounded everything.

httpx talks through an httpcore connection pool whose network backend is ours. The backend
asks :class:`~bot.probe.policy.AddressPins` for the checked addresses of a host and connects
to one of them, so TLS still verifies (and SNI and ``Host`` still name) the host while the
socket goes only where the policy said. Connection and TLS failures come out as
:class:`TransportFailure` carrying the error class, instead of a generic "connect error".

The client ignores proxy environment variables, follows no redirects and asks for
uncompressed bodies, which :func:`fetch` reads only up to a cap.
"""

from __future__ import annotations

import errno
import functools
import ssl
import typing
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import certifi
import httpcore
import httpx

from bot.errors import RegistryWhyError
from bot.probe.policy import AddressPins, ProbeRefused

USER_AGENT = "registry-why-probe/0.1"


class TransportFailure(RegistryWhyError):
    """No usable HTTP answer: ``outcome`` is the error class id (None if it has none)."""

    def __init__(self, outcome: str | None, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


# -- TLS trust --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """Public CAs (certifi) plus the operator's CA for this registry, if any; verification on."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


# X509_V_ERR_* codes (OpenSSL x509_vfy.h) and the class each one means.
_VERIFY_CODES: Mapping[int, tuple[str, str]] = {
    2: ("tls-unknown-authority", "the issuer certificate cannot be found"),
    9: ("tls-expired", "the certificate is not yet valid"),
    10: ("tls-expired", "the certificate has expired"),
    18: ("tls-unknown-authority", "the certificate is self-signed"),
    19: ("tls-unknown-authority", "the chain ends in a self-signed root that is not trusted"),
    20: ("tls-unknown-authority", "the certificate is signed by an unknown authority"),
    21: ("tls-unknown-authority", "the leaf certificate cannot be verified (missing chain)"),
    62: ("tls-hostname-mismatch", "the certificate is not valid for this host name"),
    64: ("tls-hostname-mismatch", "the certificate is not valid for this IP address"),
}
# OpenSSL's reasons when the peer answers a ClientHello with something that is not TLS.
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"}
)


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
        else:
            current = current.__cause__ or current.__context__


def classify_tls_error(exc: BaseException) -> TransportFailure:
    """Name the cause of a failed TLS handshake from the ``ssl`` error underneath it."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            outcome, detail = _VERIFY_CODES.get(
                cause.verify_code, ("tls-unknown-authority", "certificate verification failed")
            )
            return TransportFailure(
                outcome, f"TLS: {detail} (verify code {cause.verify_code}: {cause.verify_message})"
            )
        if isinstance(cause, ssl.SSLError) and cause.reason in _NOT_TLS_REASONS:
            return TransportFailure(
                "http-response-to-https-client",
                "TLS: the server answered the TLS handshake in plain HTTP "
                f"(OpenSSL: {cause.reason.lower().replace('_', ' ')})",
            )
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return TransportFailure(None, f"TLS handshake failed ({cause.reason})")
    return TransportFailure(None, "TLS handshake failed: the server closed the connection")


def classify_connect_error(exc: BaseException) -> TransportFailure:
    """Name the cause of a failed TCP connect from the ``OSError`` underneath it."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return TransportFailure("connection-refused", "TCP connect: connection refused")
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return TransportFailure(None, "TCP connect: no route to the host")
        if isinstance(cause, TimeoutError):
            return TransportFailure("network-timeout", "TCP connect timed out")
        if isinstance(cause, OSError) and cause.errno:
            name = errno.errorcode.get(cause.errno, str(cause.errno))
            return TransportFailure(None, f"TCP connect failed ({name})")
    return TransportFailure(None, "TCP connect failed")


# -- the pinned network backend ---------------------------------------------------------------


class _ClassifyingStream(httpcore.AsyncNetworkStream):
    """A TCP stream whose TLS upgrade has its own time bound and names its failures."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, tls_timeout: float) -> None:
        self._inner = inner
        self._tls_timeout = tls_timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            return await self._inner.start_tls(
                ssl_context, server_hostname, timeout=self._tls_timeout
            )
        except httpcore.ConnectTimeout:
            raise TransportFailure(
                "network-timeout",
                f"TLS handshake: no answer within {self._tls_timeout:g}s",
            ) from None
        except httpcore.ConnectError as exc:
            raise classify_tls_error(exc) from None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses :class:`AddressPins` checked, never to a fresh lookup."""

    def __init__(self, pins: AddressPins, *, tls_timeout: float) -> None:
        self._pins = pins
        self._tls_timeout = tls_timeout
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._pins.addresses(host, port)
        failure = TransportFailure(None, "TCP connect failed")
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, socket_options=socket_options
                )
            except httpcore.ConnectTimeout:
                failure = TransportFailure(
                    "network-timeout", f"TCP connect: no answer within {timeout or 0:g}s"
                )
            except httpcore.ConnectError as exc:
                failure = classify_connect_error(exc)
            else:
                return _ClassifyingStream(stream, self._tls_timeout)
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ProbeRefused("the probe never connects to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# -- httpx on top of the pinned pool ----------------------------------------------------------

_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.TimeoutException, httpx.TimeoutException),
)


def _as_httpx(exc: Exception) -> Exception:
    for core, mapped in _EXCEPTIONS:
        if isinstance(exc, core):
            return mapped(str(exc))
    return exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: typing.AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _as_httpx(exc) from exc

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool that uses :class:`PinnedBackend`."""

    def __init__(
        self, backend: PinnedBackend, context: ssl.SSLContext, *, max_connections: int = 4
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=max_connections,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except (
            httpcore.TimeoutException,
            httpcore.NetworkError,
            httpcore.ProtocolError,
            httpcore.UnsupportedProtocol,
        ) as exc:
            raise _as_httpx(exc) from exc
        assert isinstance(response.stream, typing.AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each step of one request."""

    connect: float
    tls: float
    read: float


def make_client(
    pins: AddressPins, *, ca_file: Path | None, timeouts: Timeouts
) -> httpx.AsyncClient:
    """An httpx client that can reach only the hosts ``pins`` allows, at checked addresses.

    No proxies from the environment (they would bypass the pinning), no redirects, HTTP/1.1.
    """
    backend = PinnedBackend(pins, tls_timeout=timeouts.tls)
    transport = PinnedTransport(backend, ssl_context(ca_file))
    return httpx.AsyncClient(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.read, pool=timeouts.read
        ),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )


# -- bounded reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, with at most ``cap`` bytes of its body."""

    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool
    url: httpx.URL

    def header(self, name: str) -> str | None:
        """A header's value (the first, if repeated), or None."""
        value: str | None = self.headers.get(name)
        return value


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    cap: int,
    headers: Mapping[str, str] | None = None,
    params: httpx.QueryParams | None = None,
    data: Mapping[str, str] | None = None,
) -> Reply:
    """Send one request and read at most ``cap`` bytes of the answer's body.

    Raises TransportFailure (with the error class) when no HTTP answer arrives, and
    ProbeRefused / DnsFailure from the address policy.
    """
    try:
        async with client.stream(method, url, headers=headers, params=params, data=data) as resp:
            chunks: list[bytes] = []
            size = 0
            truncated = False
            async for chunk in resp.aiter_raw():
                room = cap - size
                if len(chunk) > room:
                    chunks.append(chunk[:room])
                    truncated = True
                    break
                chunks.append(chunk)
                size += len(chunk)
            return Reply(resp.status_code, resp.headers, b"".join(chunks), truncated, resp.url)
    except httpx.ConnectTimeout as exc:
        raise TransportFailure("network-timeout", "TCP connect timed out") from exc
    except httpx.TimeoutException as exc:
        raise TransportFailure(
            "network-timeout", "the server accepted the connection but sent no answer in time"
        ) from exc
    except httpx.RemoteProtocolError as exc:
        raise TransportFailure(None, f"the server broke the HTTP protocol: {exc}") from exc
    except httpx.TransportError as exc:
        raise TransportFailure(None, f"the connection failed: {exc}") from exc
