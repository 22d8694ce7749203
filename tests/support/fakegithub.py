"""A fake GitHub REST API for the issue-comments endpoints: real HTTP on 127.0.0.1.

It checks what GitHub checks (the token, the API version header, a User-Agent, the path, the
JSON body and its length), keeps the comments it received, paginates listings with ``Link``
headers the way GitHub does (``/repositories/<id>/...`` URLs, rel next/last/prev/first), and
can be told to fail the next requests in each way GitHub or the network fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2022-11-28"
MAX_BODY = 65_536
REPO_ID = 4242

FailureKind = Literal[
    "500",
    "502",
    "503",
    "429",  # secondary rate limit, with retry-after
    "403-rate-limit",  # primary rate limit: x-ratelimit-remaining 0 and x-ratelimit-reset
    "403",  # the token lacks permission
    "401",
    "404",
    "410",
    "422",
    "slow",  # handled, but answered only after the client's timeout
    "drip",  # handled, and answered one byte every ``delay`` seconds (no socket read times out)
    "drop",  # the socket is closed without an answer
]


@dataclass
class Failure:
    kind: FailureKind
    method: str | None = None  # None: whatever request comes next
    retry_after: int = 1
    reset_at: int | None = None  # epoch seconds for 403-rate-limit (default: now + 30)
    after_handling: bool = False  # for "drop": handle the request first, then drop
    delay: float = 5.0  # for "slow"; for "drip", between two bytes
    message: str | None = None  # GitHub's explanation, instead of the usual one


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    answered: int | None  # status sent, None when dropped


@dataclass
class FakeGitHub:
    token: str
    repo: str = "acme/proxy"
    issue: int = 7
    max_per_page: int = 100
    user: str = "ops-bot"  # the token's own account: what GET /user names, who POSTs
    user_status: int = 200  # 403: the token cannot say who it is (an app or Actions token)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    _failures: deque[Failure] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _next_id: int = 1000

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # ends "slow" answers still waiting
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # joins the request threads
        if self._thread is not None:
            self._thread.join(timeout=5)

    def fail_next(self, kind: FailureKind, count: int = 1, **options: Any) -> None:
        """Fail the next ``count`` requests (of ``method=``, if given) in the way ``kind``."""
        with self._lock:
            self._failures.extend(Failure(kind, **options) for _ in range(count))

    def add_comment(self, body: str, user: str = "someone") -> dict[str, Any]:
        """A comment made by ``user`` (someone else, or this token's own account earlier)."""
        with self._lock:
            return self._store(body, user)

    def bodies(self) -> list[str]:
        with self._lock:
            return [c["body"] for c in self.comments]

    def with_marker(self, job: str, period_key: str) -> list[dict[str, Any]]:
        mark = f"<!-- ops-schedule:{job}:{period_key} -->"
        with self._lock:
            return [c for c in self.comments if c["body"].split("\n", 1)[0] == mark]

    # ------------------------------------------------------------------ state, under the lock

    def _store(self, body: str, user: str) -> dict[str, Any]:
        self._next_id += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        comment = {
            "id": self._next_id,
            "url": f"{self.url}/repos/{self.repo}/issues/comments/{self._next_id}",
            "html_url": f"https://github.example/{self.repo}/issues/{self.issue}"
            f"#issuecomment-{self._next_id}",
            "body": body,
            "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
            "created_at": now,
            "updated_at": now,
        }
        self.comments.append(comment)
        return comment

    def _take_failure(self, method: str) -> Failure | None:
        with self._lock:
            if self._failures and self._failures[0].method in {None, method}:
                return self._failures.popleft()
        return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    timeout = 5  # idle keep-alive connections end, so the server can always be closed
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet; every request is in fake.requests

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    # ------------------------------------------------------------------ dispatch

    def _serve(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        seen = Seen(
            self.command,
            split.path,
            query,
            {k.lower(): v for k, v in self.headers.items()},
            _decode(raw),
            None,
        )
        with fake._lock:
            fake.requests.append(seen)
        failure = fake._take_failure(self.command)
        if failure is not None and not (failure.kind == "drop" and failure.after_handling):
            if failure.kind == "drop":
                self.close_connection = True
                return
            if failure.kind not in {"slow", "drip"}:
                self._fail(failure, seen)
                return
        status, payload, headers = self._handle(split.path, query, seen)
        if failure is not None and failure.kind == "drop":
            self.close_connection = True
            return
        if failure is not None and failure.kind == "slow":
            fake._release.wait(failure.delay)
        if failure is not None and failure.kind == "drip":
            self._drip(seen, status, payload, failure.delay)
            return
        self._send(seen, status, payload, headers)

    def _drip(self, seen: Seen, status: int, payload: Any, delay: float) -> None:
        """The whole answer, one byte at a time, until it is sent or the client has gone."""
        data = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} OK\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        seen.answered = status
        self.close_connection = True
        for index in range(len(head) + len(data)):
            if self.fake._release.wait(delay):
                return  # the fake is stopping
            try:
                self.wfile.write((head + data)[index : index + 1])
                self.wfile.flush()
            except OSError:
                return  # the client gave up

    def _handle(  # noqa: PLR0911 - one answer per endpoint, as GitHub routes them
        self, path: str, query: dict[str, str], seen: Seen
    ) -> tuple[int, Any, dict[str, str]]:
        refusal = self._refusal(seen)
        if refusal is not None:
            return refusal
        fake = self.fake
        list_paths = {
            f"/repos/{fake.repo}/issues/{fake.issue}/comments",
            f"/repositories/{REPO_ID}/issues/{fake.issue}/comments",
        }
        comment_prefix = f"/repos/{fake.repo}/issues/comments/"
        if path == "/user" and self.command == "GET":
            return self._user()
        if path in list_paths and self.command == "GET":
            return self._list(query)
        if path in list_paths and self.command == "POST":
            error = _body_error(seen.body)
            if error:
                return 422, error, {}
            with fake._lock:
                return 201, fake._store(seen.body["body"], fake.user), {}
        if path.startswith(comment_prefix) and self.command == "PATCH":
            return self._update(path.removeprefix(comment_prefix), seen.body)
        return 404, {"message": "Not Found"}, {}

    def _refusal(self, seen: Seen) -> tuple[int, Any, dict[str, str]] | None:
        """What GitHub answers before it looks at the path: token, User-Agent, API version."""
        auth = seen.headers.get("authorization", "")
        if auth not in {f"Bearer {self.fake.token}", f"token {self.fake.token}"}:
            return 401, {"message": "Bad credentials", "status": "401"}, {}
        if not seen.headers.get("user-agent"):
            return 403, {"message": "Request forbidden by administrative rules."}, {}
        if seen.headers.get("x-github-api-version") != API_VERSION:
            return 400, {"message": "Unsupported 'X-GitHub-Api-Version' header."}, {}
        return None

    def _user(self) -> tuple[int, Any, dict[str, str]]:
        """``GET /user``: who the token is, unless it is an app's or Actions' token."""
        fake = self.fake
        if fake.user_status != 200:
            return fake.user_status, {"message": "Resource not accessible by integration"}, {}
        kind = "Bot" if fake.user.endswith("[bot]") else "User"
        return 200, {"login": fake.user, "id": 99, "type": kind}, {}

    def _update(self, comment_id: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        error = _body_error(body)
        if error:
            return 422, error, {}
        with self.fake._lock:
            for comment in self.fake.comments:
                if str(comment["id"]) == comment_id:
                    comment["body"] = body["body"]
                    comment["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    return 200, comment, {}
        return 404, {"message": "Not Found"}, {}

    def _list(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        per_page = min(int(query.get("per_page", "30")), fake.max_per_page)
        page = int(query.get("page", "1"))
        with fake._lock:
            comments = list(fake.comments)
        last = max(1, -(-len(comments) // per_page))
        chunk = comments[(page - 1) * per_page : page * per_page]
        base = f"{fake.url}/repositories/{REPO_ID}/issues/{fake.issue}/comments"

        def link(number: int, rel: str) -> str:
            return f'<{base}?per_page={per_page}&page={number}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, chunk, {"Link": ", ".join(links)} if links else {}

    def _fail(self, failure: Failure, seen: Seen) -> None:
        kind = failure.kind
        headers: dict[str, str] = {}
        if kind in {"500", "502", "503"}:
            status, payload = int(kind), {"message": "Server Error"}
        elif kind == "429":
            status = 429
            payload = {"message": "You have exceeded a secondary rate limit."}
            headers["retry-after"] = str(failure.retry_after)
        elif kind == "403-rate-limit":
            status = 403
            payload = {"message": "API rate limit exceeded for user ID 1."}
            reset = failure.reset_at if failure.reset_at is not None else int(time.time()) + 30
            headers |= {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-resource": "core",
            }
        elif kind == "403":
            status, payload = 403, {"message": "Resource not accessible by personal access token"}
        elif kind == "401":
            status, payload = 401, {"message": "Bad credentials"}
        elif kind == "404":
            status, payload = 404, {"message": "Not Found"}
        elif kind == "410":
            status, payload = 410, {"message": "Issues are disabled for this repo"}
        else:  # "422"
            status = 422
            payload = {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "unprocessable",
                        "field": "data",
                        "message": "Body cannot be blank",
                    }
                ],
            }
        if failure.message is not None:
            payload["message"] = failure.message
        self._send(seen, status, payload, headers)

    def _send(self, seen: Seen, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        seen.answered = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", API_VERSION)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (a "slow" answer)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _body_error(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
        return {"message": 'Invalid request.\n\n"body" wasn\'t supplied.'}
    if len(body["body"]) > MAX_BODY:
        return {
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ],
        }
    return None
