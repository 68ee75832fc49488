"""A real loopback HTTP server for tests, scripted per test.

Usage::

    with HTTPStub([Reply.json({"ok": True}), Reply.close()]) as stub:
        client.get(stub.url + "/x")
        assert stub.requests[0].path == "/x"

Responses come from a queue (consumed in order), then from `default` once the queue is empty, or
from a callable `handler(request) -> Reply`. Every request is recorded before it is answered, so a
test can count attempts even when the reply is a stall or a dropped connection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gate import http

__all__ = ["HTTPStub", "Recorded", "Reply", "TrickleServer", "closed_port", "record_waits"]


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it. Header names are lower-cased."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def form(self) -> dict[str, str]:
        """The urlencoded body as a flat dict (last value wins for repeated keys)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What the stub does with one request.

    stall: seconds to wait before answering (cut short when the stub shuts down).
    drop: close the connection without sending anything.
    chunked: send the body with chunked transfer encoding (no Content-Length).
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    stall: float = 0.0
    drop: bool = False
    chunked: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json", tuple((headers or {}).items()))

    @classmethod
    def text(
        cls,
        body: str | bytes,
        status: int = 200,
        content_type: str | None = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        chunked: bool = False,
    ) -> Reply:
        raw = body.encode() if isinstance(body, str) else body
        return cls(status, raw, content_type, tuple((headers or {}).items()), chunked=chunked)

    @classmethod
    def stalled(cls, seconds: float, then: Reply | None = None) -> Reply:
        base = then or cls.json({})
        return cls(base.status, base.body, base.content_type, base.headers, stall=seconds)

    @classmethod
    def close(cls) -> Reply:
        return cls(drop=True)


_NO_SCRIPT = Reply.text("httpstub: no scripted response left", status=599)

Handler = Callable[[Recorded], Reply]


class HTTPStub:
    """ThreadingHTTPServer on 127.0.0.1:<ephemeral> running in a background thread."""

    def __init__(
        self,
        replies: Iterable[Reply] | Handler = (),
        *,
        default: Reply | None = None,
    ) -> None:
        self._handler: Handler | None = replies if callable(replies) else None
        self._queue: deque[Reply] = deque() if callable(replies) else deque(replies)
        self._default = default
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._requests: list[Recorded] = []
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="httpstub", daemon=True
        )

    # -- scripting -----------------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def _next(self, request: Recorded) -> Reply:
        with self._lock:
            self._requests.append(request)
            if self._handler is None:
                if self._queue:
                    return self._queue.popleft()
                return self._default or _NO_SCRIPT
        return self._handler(request)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> HTTPStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes stalled handlers so shutdown does not wait for them
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HTTPStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: HTTPStub

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (timeout, size cap) is an expected part of these tests.
        return


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK hold every answer on a kept-alive connection for ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        stub = self.server.stub
        recorded = Recorded(
            method=self.command,
            target=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        reply = stub._next(recorded)
        if reply.stall and stub._stop.wait(reply.stall):
            reply = Reply(drop=True)  # shutting down: do not keep the test waiting
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self._send(reply)
        except OSError:
            self.close_connection = True  # the client gave up first

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            step = 64 * 1024
            for i in range(0, len(reply.body), step):
                part = reply.body[i : i + step]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TrickleServer:
    """A raw-socket server that answers every connection with response *headers* one byte at a time.

    It sends `HTTP/1.1 200 OK` and then an endless header line, one byte every `interval` seconds
    (cut short when the server stops), until `limit` bytes or until the client hangs up. Per-read
    timeouts never fire against it: only a deadline over the whole exchange ends the wait.
    `served` counts the bytes sent, so a test can tell when the client gave up without a clock.
    """

    def __init__(self, *, interval: float = 0.01, limit: int = 2000) -> None:
        self._interval = interval
        self._limit = limit
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._served = 0
        self._connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)
        self._port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, name="trickle", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def served(self) -> int:
        with self._lock:
            return self._served

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def limit(self) -> int:
        return self._limit

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with self._lock:
                self._connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        payload = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * self._limit
        with conn:
            conn.settimeout(1.0)
            with contextlib.suppress(OSError):
                conn.recv(65536)  # the request; its content does not matter
            for index in range(min(self._limit, len(payload))):
                if self._stop.wait(self._interval):
                    return
                try:
                    conn.sendall(payload[index : index + 1])
                except OSError:
                    return  # the client hung up
                with self._lock:
                    self._served += 1

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every client built from here on (the CLI's too) records its retry waits instead of sleeping.

    Replaces gate.http.PACING, the default the clients take when none is passed; returns the list
    the waits go to, so a test can also check that retries happened.
    """
    waits: list[float] = []
    monkeypatch.setattr(http, "PACING", dataclasses.replace(http.PACING, sleep=waits.append))
    return waits
