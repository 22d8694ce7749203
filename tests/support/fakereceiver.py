"""A receiver on 127.0.0.1 for the sinks and pings that are not GitHub: real sockets, real HTTP.

It stands in for a Slack incoming webhook, a generic webhook receiver, a ping service
(healthchecks.io, Cronitor, Uptime Kuma) and a Pushgateway: it keeps every request it got, and
answers each with the next scripted :class:`Reply` (then ``default``). A reply can be hostile:
slow, dripped one byte at a time, huge, or a dropped connection. Paths under ``secret_path``
are the only ones that exist, as a token in a URL is the only credential such services check.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before answering
    drip: float = 0.0  # seconds between bytes of the answer (no socket read ever times out)
    huge: int = 0  # answer with this many bytes (streamed in chunks)
    drop: bool = False  # close the socket without an answer


@dataclass
class Got:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeReceiver:
    default: Reply = field(default_factory=Reply)
    secret_path: str = field(default_factory=lambda: "/hook/" + secrets.token_hex(12))
    got: list[Got] = field(default_factory=list)
    _replies: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the receiver first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """The URL a sink is given: its path is the secret."""
        return self.base + self.secret_path

    def start(self) -> FakeReceiver:
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self._replies.extend(replies)

    def requests(self) -> list[Got]:
        with self._lock:
            return list(self.got)

    def _next(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.default


class _Handler(BaseHTTPRequestHandler):
    receiver: FakeReceiver
    protocol_version = "HTTP/1.1"
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        receiver = self.receiver
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        got = Got(
            self.command,
            split.path,
            dict(parse_qsl(split.query, keep_blank_values=True)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        with receiver._lock:
            receiver.got.append(got)
        reply = receiver._next()
        if not split.path.startswith(receiver.secret_path):
            reply = Reply(404, b"no_service")
        if reply.drop:
            self.close_connection = True
            return
        if reply.delay and receiver._stopping.wait(reply.delay):
            return
        body_out = b"x" * reply.huge if reply.huge else reply.body
        head = f"HTTP/1.1 {reply.status} Reply\r\nContent-Length: {len(body_out)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n"
        data = head.encode() + body_out
        self.close_connection = True
        try:
            if reply.drip:
                for index in range(len(data)):
                    if receiver._stopping.wait(reply.drip):
                        return
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
            else:
                for start in range(0, len(data), 1 << 16):
                    self.wfile.write(data[start : start + (1 << 16)])
                self.wfile.flush()
        except OSError:
            return  # the client gave up (as it should on a huge or endless answer)


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
