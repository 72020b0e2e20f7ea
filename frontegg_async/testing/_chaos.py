"""``ChaosProxy``: a TCP proxy on loopback that breaks HTTP answers on purpose.

It stands between a client and a server (``FakeFrontegg``, or any HTTP/1.1 server on
loopback), reads each request and each answer just far enough to know where one ends (the head,
then a ``Content-Length`` or chunked body), and passes them through, or does to an answer what a
bad network, a proxy or a load balancer does: resets the connection halfway through the body,
withholds the answer after the server has acted on the request, stops in the middle of the body,
drips it a few bytes at a time, or sends bytes that are not HTTP. Each fault is queued for the
next requests whose path ends with a given suffix, so a test can break one call (the refresh,
the logout) and leave the others alone.

It knows nothing of the client library: the faults are what the wire does, and the assertions
are the test's.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from collections import deque
from types import TracebackType
from typing import Self

from attrs import define, field, frozen
from yarl import URL

__all__ = ["Chaos", "ChaosProxy", "Served"]

#: A request's or an answer's head larger than this is refused: nothing real sends one.
MAX_HEAD = 64 * 1024


class Chaos(enum.Enum):
    """What the proxy does to one answer instead of passing it through."""

    #: The head and half of the body, then a TCP reset (RST): a connection cut mid-answer.
    RESET_MID_BODY = "reset mid-body"
    #: The request reaches the server, which acts on it; its answer never comes back (until
    #: the client gives up and closes the connection).
    STALL_BEFORE_HEADERS = "stall before headers"
    #: The head and half of the body, then silence.
    STALL_MID_BODY = "stall mid-body"
    #: The whole answer, ``drip_bytes`` at a time every ``drip_interval`` seconds.
    DRIP = "drip"
    #: Bytes that are not HTTP at all in place of the answer, then the connection closes.
    GARBAGE = "garbage"
    #: The answer's head as it came, its body scrambled (same length): not the JSON it was.
    GARBLED_BODY = "garbled body"


@frozen
class Served:
    """One request that went through the proxy, and what was done to its answer."""

    method: str
    path: str
    #: None when the answer was passed through untouched.
    chaos: Chaos | None


@define
class _Rule:
    chaos: Chaos
    suffix: str
    #: How many more answers it breaks; None for every one until ``clear()``.
    times: int | None


@define
class _Message:
    head: bytes
    body: bytes
    headers: dict[str, str] = field(factory=dict)
    first_line: str = ""


class ChaosProxy:
    """A loopback TCP proxy to ``upstream`` that breaks the answers it is told to.

    ``async with ChaosProxy(fake.url) as proxy:`` listens on a free port of 127.0.0.1;
    ``proxy.wrap(url)`` is ``url`` pointed at the proxy (same path). ``proxy.inject(chaos,
    path="/token/refresh")`` breaks the next answer to a request whose path ends so
    (``times=3`` the next three, ``times=None`` all of them until ``clear()``). Every request is
    recorded in ``served``. Only loopback upstreams are accepted.
    """

    def __init__(
        self,
        upstream: str | URL,
        *,
        drip_bytes: int = 1,
        drip_interval: float = 0.01,
    ) -> None:
        target = URL(str(upstream))
        if target.host not in ("127.0.0.1", "localhost", "::1") or target.port is None:
            raise ValueError(f"ChaosProxy forwards to loopback only, not to {target}")
        if target.scheme != "http":
            raise ValueError("ChaosProxy speaks plain HTTP/1.1: give it an http:// upstream")
        self._upstream = (target.host, target.port)
        self.drip_bytes = drip_bytes
        self.drip_interval = drip_interval
        self._rules: deque[_Rule] = deque()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        #: Every open connection, both sides: closed by ``aclose()`` to end the handlers (a
        #: cancelled stream handler makes asyncio log an error).
        self._streams: set[asyncio.StreamWriter] = set()
        self.port = 0
        #: Every request that went through, oldest first.
        self.served: list[Served] = []

    @property
    def url(self) -> URL:
        """The proxy's own base URL."""
        if self._server is None:
            raise RuntimeError("the proxy is not started: use `async with ChaosProxy(...)`")
        return URL.build(scheme="http", host="127.0.0.1", port=self.port)

    def wrap(self, url: str | URL) -> URL:
        """``url`` with its host and port replaced by the proxy's."""
        return URL(str(url)).with_host("127.0.0.1").with_port(self.url.port)

    def inject(self, chaos: Chaos, *, path: str = "", times: int | None = 1) -> None:
        """Break the next ``times`` answers (None: all) to requests whose path ends with
        ``path`` (the query is not part of it; "" matches every request)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every answer")
        self._rules.append(_Rule(chaos, path, times))

    def clear(self) -> None:
        """Pass every answer through from now on (answers being broken stay broken)."""
        self._rules.clear()

    def broken(self, chaos: Chaos | None = None) -> int:
        """How many answers were broken (by ``chaos``, or by any)."""
        return sum(1 for s in self.served if s.chaos is not None and chaos in (None, s.chaos))

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """Stop listening and drop every connection, stalled ones included."""
        if self._server is not None:
            self._server.close()
        for stream in list(self._streams):
            stream.transport.abort()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- one client connection ----------------------------------------------------------------

    def _take(self, path: str) -> Chaos | None:
        for rule in self._rules:
            if path.endswith(rule.suffix):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                return rule.chaos
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._streams.add(writer)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await _read_message(reader, answer_to=None)
                if request is None:
                    return
                method, target = ([*request.first_line.split(" "), "", ""])[:2]
                path = target.split("?", 1)[0]
                chaos = self._take(path)
                self.served.append(Served(method, path, chaos))
                if upstream is None:
                    upstream = await asyncio.open_connection(*self._upstream)
                    self._streams.add(upstream[1])
                up_reader, up_writer = upstream
                up_writer.write(request.head + request.body)
                await up_writer.drain()
                answer = await _read_message(up_reader, answer_to=method)
                if answer is None:
                    return
                if not await self._deliver(answer, chaos, reader, writer):
                    return
                if answer.headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._handlers.discard(task)
            for stream in (writer, None if upstream is None else upstream[1]):
                if stream is not None:
                    self._streams.discard(stream)
                    stream.close()
                    with contextlib.suppress(Exception):
                        await stream.wait_closed()

    async def _deliver(
        self,
        answer: _Message,
        chaos: Chaos | None,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Send ``answer`` as ``chaos`` says; whether the connection may carry another."""
        half = answer.head + answer.body[: len(answer.body) // 2]
        if chaos is None:
            writer.write(answer.head + answer.body)
        elif chaos is Chaos.RESET_MID_BODY:
            writer.write(half)
            await writer.drain()
            _reset(writer)
            return False
        elif chaos is Chaos.STALL_BEFORE_HEADERS:
            await _until_closed(reader)
            return False
        elif chaos is Chaos.STALL_MID_BODY:
            writer.write(half)
            await writer.drain()
            await _until_closed(reader)
            return False
        elif chaos is Chaos.DRIP:
            whole = answer.head + answer.body
            for start in range(0, len(whole), self.drip_bytes):
                writer.write(whole[start : start + self.drip_bytes])
                await writer.drain()
                await asyncio.sleep(self.drip_interval)
        elif chaos is Chaos.GARBAGE:
            writer.write(b"\x16\x03\x01\x02\x00\x01\x00\xff\xfe garbage \x00\r\n\r\n\x9c\x8f")
            await writer.drain()
            return False
        elif chaos is Chaos.GARBLED_BODY:
            garbled = bytes((b ^ 0x5A) for b in answer.body)
            writer.write(answer.head + garbled)
        await writer.drain()
        return True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _until_closed(reader: asyncio.StreamReader) -> None:
    """Hold the connection open, reading and dropping, until the client closes it."""
    while await reader.read(65536):
        pass


async def _read_message(reader: asyncio.StreamReader, *, answer_to: str | None) -> _Message | None:
    """One HTTP/1.1 request (``answer_to`` None) or answer (to a request of that method), as
    raw bytes; None at a clean end of the stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise
        return None
    except asyncio.LimitOverrunError as error:
        raise ValueError("a message head too large") from error
    if len(head) > MAX_HEAD:
        raise ValueError("a message head too large")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    message = _Message(head=head, body=b"", headers=headers, first_line=lines[0])
    if answer_to is not None:
        status = int(([*lines[0].split(" "), "0", "0"])[1])
        if answer_to == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return message
    if "chunked" in headers.get("transfer-encoding", "").lower():
        message.body = await _read_chunked(reader)
    elif "content-length" in headers:
        message.body = await reader.readexactly(int(headers["content-length"]))
    elif answer_to is not None:
        message.body = await reader.read()  # an answer that ends with the connection
        message.headers["connection"] = "close"
    return message


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body, raw (sizes, data and trailers as they came)."""
    raw = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:
                trailer = await reader.readuntil(b"\r\n")
                raw += trailer
                if trailer == b"\r\n":
                    return bytes(raw)
        raw += await reader.readexactly(size + 2)
