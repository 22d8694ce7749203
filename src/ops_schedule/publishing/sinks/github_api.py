"""The issue-comments endpoints of the GitHub REST API, and what their answers mean.

One :class:`IssueComments` serves one post: it finds the comment carrying a marker (newest pages
first), creates or updates a comment, and turns every failure into either :class:`Transient`
(worth retrying: connection errors, timeouts, 5xx, rate limits) or ``SinkError(permanent=True)``
with a message that says what to check. No message ever quotes the token or the comment body.

httpx's timeouts bound each socket operation, not a request: a server that trickles one byte
every few seconds would hold a request for ever. So each request also has an overall deadline,
the time left of the post's retry budget; past it the request is abandoned (it finishes or fails
on its own, in the background, within its socket timeouts) and counts as a timeout.

Only a comment written by the token's own account counts as a marker (docs/github.md): anyone
who can comment on the issue can write the marker line too, and such a comment must neither
silence a report nor be updated in its place.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

import httpx

from ops_schedule.deadline import DeadlinePassed as _DeadlinePassed
from ops_schedule.deadline import within
from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks.base import Posted
from ops_schedule.publishing.sinks.comment import carries_marker, same_body

log = logging.getLogger("ops_schedule.publishing.sinks.github")

PER_PAGE = 100  # GitHub's largest page
DEFAULT_SEARCH_COMMENTS = 1000  # github.markerSearchComments: the newest comments searched
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait at least one minute" when it names no time
RESET_MARGIN = 1.0  # x-ratelimit-reset has whole seconds: retry just after it, not at it
MAX_ASKED_WAIT = 10.0**9  # seconds (31 years): a longer wait asked for is read as this one
_MESSAGE_CHARS = 300

T = TypeVar("T")


class Transient(Exception):  # noqa: N818 - a failure, not an error: it is retried
    """A failure worth retrying.

    ``asked`` is the wait GitHub asked for (seconds), ``until`` the epoch time it named, and
    ``floor`` the least wait when GitHub rate-limits without saying for how long.
    """

    def __init__(
        self,
        problem: str,
        *,
        asked: float | None = None,
        until: float | None = None,
        floor: float = 0.0,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.asked = asked
        self.until = until
        self.floor = floor


def rate_limit_wait(headers: Mapping[str, str], now: float) -> tuple[float, float] | None:
    """(seconds to wait, epoch time waited for) from ``retry-after`` or ``x-ratelimit-*``.

    ``retry-after`` wins (seconds or an HTTP date); else, when ``x-ratelimit-remaining`` is 0,
    the time in ``x-ratelimit-reset``. ``None`` when the answer names no time.
    """
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        asked = min(float(retry_after), MAX_ASKED_WAIT)  # 20 digits must not overflow a date
        return asked, now + asked
    if retry_after:
        try:
            when = email.utils.parsedate_to_datetime(retry_after).timestamp()
        except (TypeError, ValueError, IndexError):
            pass
        else:
            return max(when - now, 0.0), when
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
        until = min(float(reset), now + MAX_ASKED_WAIT)
        return max(until - now, 0.0) + RESET_MARGIN, until
    return None


def github_message(response: httpx.Response) -> str:
    """GitHub's explanation (``message`` and the ``errors`` list), short and on one line."""
    data = _json(response)
    parts: list[str] = []
    if isinstance(data, dict):
        if isinstance(data.get("message"), str):
            parts.append(data["message"])
        errors = data.get("errors")
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, str):
                parts.append(error)
            elif isinstance(error, dict):
                # Only the explanation: some resources echo the rejected value.
                text = error.get("message") or " ".join(
                    error[key] for key in ("field", "code") if isinstance(error.get(key), str)
                )
                if isinstance(text, str) and text:
                    parts.append(text)
    text = " ".join(": ".join(parts).split()) or phrase(response.status_code)
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    url: str
    body: str


@dataclass(frozen=True, slots=True)
class Author:
    """Who the token writes as: its login, or (``login`` None) any bot account, when GitHub
    does not say (an app installation token or Actions' own token cannot read ``/user``)."""

    login: str | None

    def wrote(self, comment: dict[str, Any]) -> bool:
        user = comment.get("user")
        if not isinstance(user, dict):
            return False
        if self.login is None:
            return user.get("type") == "Bot"
        return isinstance(user.get("login"), str) and user["login"].lower() == self.login.lower()

    def __str__(self) -> str:
        return self.login or "a bot account (GitHub does not say which one this token is)"


def pages_for(comments: int) -> int:
    """Pages of :data:`PER_PAGE` that hold the newest ``comments`` comments."""
    return max(1, -(-comments // PER_PAGE))


class IssueComments:
    """The comments of ``repo``'s issue ``issue``, through an authenticated ``client``."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        api_url: str,
        repo: str,
        issue: int,
        archive_hint: str,
        now: Callable[[], float],
        time_left: Callable[[], float] = lambda: float("inf"),
        author: Callable[[IssueComments], Author] | None = None,
        before_mutation: Callable[[], None] = lambda: None,
        search_comments: int = DEFAULT_SEARCH_COMMENTS,
    ) -> None:
        self.client = client
        self.time_left = time_left  # seconds left of the post's budget: each request's deadline
        self.api_url = api_url
        self.repo = repo
        self.issue = issue
        self.archive_hint = archive_hint
        self.now = now
        # Who the token is; asked only when a marker turns up (the sink asks once for all posts).
        self.author = author or IssueComments.whoami
        self.before_mutation = before_mutation  # spaces POSTs and PATCHes (spacing.py)
        self.max_pages = pages_for(search_comments)
        self.where = f"{repo}#{issue}"
        self.path = f"/repos/{repo}/issues/{issue}/comments"
        self.created_by: str | None = None  # the login GitHub named on a comment we created

    def post_once(self, mark: str, text: str) -> Posted:
        """Reuse the comment carrying ``mark`` (updated to ``text``), else create one."""
        found = self.find(mark)
        if found is None:
            answer = self.request("POST", self.path, f"creating a comment on {self.where}", text)
            created = _json(answer)
            url = _field(created, "html_url", str)
            user = created.get("user") if isinstance(created, dict) else None
            if isinstance(user, dict) and isinstance(user.get("login"), str):
                self.created_by = user["login"]
            log.info("Posted %s to %s: %s", mark, self.where, url)
            return Posted(url=url, created=True)
        if same_body(found.body, text):
            log.info("Already posted %s to %s: %s", mark, self.where, found.url)
            return Posted(url=found.url, created=False)
        try:
            self.request(
                "PATCH",
                f"/repos/{self.repo}/issues/comments/{found.id}",
                f"updating comment {found.id} on {self.where}",
                text,
            )
        except SinkError as exc:
            # The comment for this run exists, which is what counts; say why it is stale.
            log.warning("Kept the earlier comment %s unchanged: %s", found.url, exc)
        else:
            log.info("Updated the earlier comment for %s: %s", mark, found.url)
        return Posted(url=found.url, created=False)

    def find(self, mark: str) -> Comment | None:
        """The newest comment of ours whose first line is ``mark``, newest pages first.

        GitHub lists comments oldest first; the first page names the last one (``Link``
        rel="last"), from which the search walks back (rel="prev") through the newest
        ``max_pages`` pages. The first page, the oldest, is in hand from the first request and
        is searched too; it does not count against the pages of newest comments.
        """
        what = f"listing the comments of {self.where}"
        first = self.request("GET", f"{self.path}?per_page={PER_PAGE}", what)
        url = self.link(first, "last")
        pages = 0
        while url is not None and pages < self.max_pages:
            if httpx.URL(url).params.get("page") == "1":
                break  # the first page is already in hand
            page = self.request("GET", url, what)
            pages += 1
            if (hit := self.newest_with(mark, page)) is not None:
                return hit
            url = self.link(page, "prev")
        return self.newest_with(mark, first)

    def newest_with(self, mark: str, response: httpx.Response) -> Comment | None:
        comments = _json(response)
        if not isinstance(comments, list):
            raise Transient(f"GitHub sent an unreadable comment list for {self.where}")
        for comment in reversed(comments):
            if not isinstance(comment, dict) or not carries_marker(comment.get("body"), mark):
                continue
            author = self.author(self)
            if not author.wrote(comment):
                user = comment.get("user")
                login = user.get("login") if isinstance(user, dict) else None
                log.warning(
                    "Ignored comment %s on %s: it carries the marker %s but was written by %s, "
                    "not by the token's own account (%s); only our own comments count, so the "
                    "report is posted anyway",
                    comment.get("html_url") or comment.get("id"),
                    self.where,
                    mark,
                    login if isinstance(login, str) else "an unknown account",
                    author,
                )
                continue
            return Comment(
                id=_field(comment, "id", int),
                url=_field(comment, "html_url", str),
                body=str(comment.get("body") or ""),
            )
        return None

    def whoami(self) -> Author:
        """Who the token writes as (``GET /user``); a bot account when GitHub will not say."""
        if self.created_by is not None:
            return Author(self.created_by)
        # 403/404: an app installation token or Actions' GITHUB_TOKEN has no user.
        answer = self.request(
            "GET", "/user", "asking GitHub who the token belongs to", refused={403, 404}
        )
        if not answer.is_success:
            return Author(None)
        return Author(_field(_json(answer), "login", str))

    def link(self, response: httpx.Response, rel: str) -> str | None:
        url = response.links.get(rel, {}).get("url")
        if url is None:
            return None
        base, target = httpx.URL(self.api_url), httpx.URL(url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            # The token goes only to the configured API.
            raise SinkError(
                f"GitHub's pagination link leads to {target.scheme}://{target.host}, not to "
                f"github.apiUrl ({self.api_url}); refusing to follow it",
                permanent=True,
            )
        return url

    def request(
        self,
        method: str,
        url: str,
        what: str,
        body: str | None = None,
        *,
        refused: frozenset[int] | set[int] = frozenset(),
    ) -> httpx.Response:
        """Send one request; a 2xx answer or an exception that says what went wrong. An answer
        whose status is in ``refused`` (and is no rate limit) is returned, not raised."""
        if method in {"POST", "PATCH"}:
            self.before_mutation()
        deadline = self.time_left()
        try:
            response = _within(
                deadline,
                lambda: self.client.request(
                    method, url, json=None if body is None else {"body": body}
                ),
            )
        except _DeadlinePassed:
            raise Transient(
                f"no complete answer within {max(deadline, 0):.0f} s, the time left of the retry "
                f"budget, while {what}"
            ) from None
        except httpx.TimeoutException as exc:
            raise Transient(f"no answer in time while {what} ({type(exc).__name__})") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise SinkError(
                    f"the TLS certificate of {self.api_url} is not trusted ({exc}); for a "
                    "private certificate authority set SSL_CERT_FILE",
                    permanent=True,
                ) from None
            detail = str(exc) or type(exc).__name__
            raise Transient(f"connection failed while {what} ({detail})") from None
        except httpx.HTTPError as exc:
            # Only the type: some of these messages quote the request's headers.
            raise SinkError(
                f"cannot send the request while {what} ({type(exc).__name__})", permanent=True
            ) from None
        if response.is_success:
            return response
        failure = self.failure(response, what)
        if response.status_code in refused and not isinstance(failure, Transient):
            return response
        raise failure

    def failure(self, response: httpx.Response, what: str) -> Exception:
        """The exception for a non-2xx answer: :class:`Transient` or a permanent ``SinkError``."""
        status = response.status_code
        message = github_message(response)
        if status in {HTTPStatus.FORBIDDEN, HTTPStatus.TOO_MANY_REQUESTS}:
            limited = f"rate limited while {what} ({status}: {message})"
            wait = rate_limit_wait(response.headers, self.now())
            if wait is not None:
                return Transient(limited, asked=wait[0], until=wait[1])
            if status == HTTPStatus.TOO_MANY_REQUESTS or "rate limit" in message.lower():
                return Transient(limited, floor=SECONDARY_LIMIT_WAIT)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            return Transient(f"{status} {phrase(status)} while {what}")
        return SinkError(self.permanent_message(status, message, what), permanent=True)

    def permanent_message(self, status: int, message: str, what: str) -> str:
        repo, issue = self.repo, self.issue
        if status == HTTPStatus.UNAUTHORIZED:
            return (
                f"GitHub rejected the token while {what} (401: {message}): GITHUB_TOKEN is "
                "invalid, expired or revoked. Create a new token and set GITHUB_TOKEN."
            )
        if status == HTTPStatus.FORBIDDEN:
            owner = repo.split("/", 1)[0]
            return (
                f"GitHub refused {what} (403: {message}). The token may not write issue "
                f"comments on {repo}: a fine-grained token needs the repository permission "
                f"'Issues: Read and write' (issues:write) on {repo}; a classic token needs the "
                f"repo scope (public_repo for a public repository). If {owner} uses SAML single "
                "sign-on, authorise the token for it; an organisation policy may also block "
                "this kind of token."
            )
        if status == HTTPStatus.NOT_FOUND:
            return (
                f"GitHub answered 404 while {what}: the repository {repo} or issue #{issue} "
                "does not exist, or the token cannot see it. Check github.repo (or "
                f"GITHUB_REPOSITORY), dashboardIssue, github.apiUrl ({self.api_url}) and that "
                f"the token has access to {repo}."
            )
        if status == HTTPStatus.GONE:
            return (
                f"GitHub answered 410 while {what} ({message}): issue #{issue} was deleted or "
                f"issues are disabled in {repo}. Set dashboardIssue to an existing issue, or "
                "enable issues."
            )
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            return (
                f"GitHub rejected the comment while {what} (422: {message}). The report is "
                f"archived at {self.archive_hint}."
            )
        return f"GitHub answered {status} {phrase(status)} while {what}: {message}"


def _within(seconds: float, call: Callable[[], T]) -> T:
    return within(seconds, call, name="github-request")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _field(data: object, key: str, kind: type[T]) -> T:
    """``data[key]`` of the expected type, or a transient "unreadable answer" failure."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Transient(f"GitHub's answer lacks a valid {key!r}")
    return value
