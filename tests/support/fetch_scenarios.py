"""Shared pieces of the worker-level fetch and discovery tests (tests/test_*_workers.py).

Those tests run the pipeline as deployed: real Celery worker processes over Redis, rows in
PostgreSQL, a real HTTP server on 127.0.0.1, work sent through `manage.py`. They need settings the
session `workers` fixture (tests/conftest.py) does not have: the SSRF switch OFF with only the test
server allowlisted, a per-host rate of 2/s, a short total deadline. Workers take their settings
from the environment at start, so each module starts its own workers (`start_stack`) on a Redis DB
of its own (`claim_redis_db`): the session workers, if another module started them, consume a
different broker and can never take these tasks. PostgreSQL is the conftest throwaway database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from sqlalchemy import select, text

from tests.support.commands import manage
from tests.support.httpserver import Handler, LocalServer, Request, Server

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- articles
_WORDS = (
    "harbor council river budget school museum railway festival bridge market station library "
    "orchard clinic ferry garden tunnel stadium canal theatre airport hospital quarry lighthouse"
).split()


def _words(key: str, n: int) -> list[str]:
    h = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return [_WORDS[(h >> (5 * i)) % len(_WORDS)] for i in range(n)]


def paragraphs(key: str, count: int = 5) -> list[str]:
    """`count` paragraphs of plausible English news text, unique to `key` (no two keys share a
    body, so the parse stage never marks one as a duplicate of another)."""
    w = _words(key, 6 * count + 2)
    out = [
        f"MAPLETON (Harbor Times) — The town council on Tuesday approved a plan for the {w[0]} "
        f"and the {w[1]}, file {key}, after a debate that lasted more than four hours, "
        "officials said."
    ]
    for i in range(1, count):
        a, b, c, d, e, f = w[6 * i - 4 : 6 * i + 2]
        out.append(
            f"Section {i} of plan {key} sets aside money for repairs to the {a} and a new {b} "
            f"near the old {c}. Mayor Alice Martin said the {d} would open before the {e}, "
            f"while opponents said the cost of the {f} works would fall on small businesses."
        )
    return out


def article_html(
    key: str,
    title: str | None = None,
    count: int = 5,
    published: str | None = "2024-05-14T09:30:00Z",
) -> bytes:
    """A complete article page that the parse stage accepts (English, with a byline; dated
    unless `published` is None)."""
    title = title or f"Council approves plan {key} after long debate"
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs(key, count))
    date = f'<meta property="article:published_time" content="{published}">\n' if published else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Harbor Times</title>
<meta property="og:title" content="{title}"><meta property="og:type" content="article">
{date}<meta name="author" content="Sam Reed"></head>
<body><div id="nav"><a href="/">Home</a> | <a href="/local">Local</a></div>
<article><h1>{title}</h1><p class="byline">By Sam Reed</p>
{body}
</article><footer>© Harbor Times</footer></body></html>""".encode()


def article_fragment(key: str, count: int = 9) -> str:
    """Article HTML for a feed's content:encoded / atom:content (long enough to count as full)."""
    return "".join(f"<p>{p}</p>" for p in paragraphs(key, count))


# --------------------------------------------------------------------------- HTTP servers
def reset_server(srv: LocalServer) -> None:
    """Forget routes and recorded requests (one server serves a whole module)."""
    with srv._lock:
        srv.routes.clear()
        srv.requests.clear()


def arrivals(srv: LocalServer, prefix: str) -> list[float]:
    """Server-side arrival times of the requests whose path starts with `prefix`, in order."""
    with srv._lock:
        return sorted(r.at for r in srv.requests if urlsplit(r.path).path.startswith(prefix))


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def sequence(*routes: Callable[[Request], None]) -> Callable[[Request], None]:
    """The n-th request to the path gets routes[n-1]; the last route answers all later ones."""

    def fn(req: Request) -> None:
        n = req.server.hits(req.path)  # this request is already recorded
        routes[min(n, len(routes)) - 1](req)

    return fn


class _Server6(Server):
    address_family = socket.AF_INET6


class LocalServer6(LocalServer):
    """LocalServer on [::1] (a redirect target the SSRF guard must refuse)."""

    def __post_init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._httpd = _Server6((self.host, 0), Handler)
        self._httpd.app = self
        self.port = self._httpd.server_address[1]
        self._thread = None

    @property
    def origin(self) -> str:
        return f"http://[{self.host}]:{self.port}"


# --------------------------------------------------------------------------- Redis DB
@dataclass
class RedisDB:
    client: redis.Redis
    url: str
    number: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_redis_db(low: int = 11, high: int = 15) -> RedisDB:
    """A Redis DB number no concurrent test run holds (same lock keys as tests/conftest.py);
    release with `release_redis_db`."""
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    locks = redis.Redis.from_url(base + "/0")
    try:
        for n in range(low, high + 1):
            key = f"newsflow:test-db:{n}"
            holder = locks.get(key)
            if holder and not _alive(int(holder)):  # left behind by a run that died
                locks.delete(key)
            if locks.set(key, os.getpid(), nx=True, ex=3600):
                url = f"{base}/{n}"
                client = redis.Redis.from_url(url)
                client.flushdb()
                return RedisDB(client, url, n)
    finally:
        locks.close()
    raise RuntimeError(f"no free Redis DB number in {low}-{high}")


def release_redis_db(db: RedisDB) -> None:
    db.client.flushdb()
    db.client.close()
    locks = redis.Redis.from_url(db.url.rsplit("/", 1)[0] + "/0")
    locks.delete(f"newsflow:test-db:{db.number}")
    locks.close()


# --------------------------------------------------------------------------- workers
@dataclass
class Stack:
    """Worker processes with their own environment, and the commands an operator would run."""

    env: dict[str, str]
    rdb: RedisDB
    logdir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    app: Any = None  # a Celery app on this stack's broker (ping, send_task)
    pending_ok: bool = False  # a test may leave work scheduled (see test_fetch_workers.py)

    def manage(
        self, *args: str, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess:
        """`python manage.py ...` with this stack's environment."""
        return manage(*args, timeout=timeout, input=input, env=self.env)

    def enqueue(self, *args: str) -> str:
        out = self.manage("enqueue", *args)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def wait(self, timeout: float = 90) -> None:
        out = self.manage("wait", "--timeout", str(timeout), timeout=timeout + 30)
        assert out.returncode == 0, (out.stderr, self.manage("status", "--json").stdout)

    def busy(self) -> dict[str, int]:
        """What is still queued, reserved or running on this stack's broker (kombu's Redis
        transport keeps a message in the `unacked` hash from delivery until the task is done,
        countdown/ETA messages included), and documents with work ahead of them."""
        from shared.ops.status import document_counts
        from shared.runtime.celery_app import QUEUES

        out = {q: int(self.rdb.client.llen(q)) for q in QUEUES}
        out["unacked"] = int(self.rdb.client.hlen("unacked"))
        docs = document_counts()
        out["documents"] = sum(
            docs[s] for s in ("queued", "fetching", "retrying", "fetched", "parsed")
        )
        return {k: v for k, v in out.items() if v}

    def settle(self, timeout: float = 60) -> None:
        """Block until `busy()` is empty: no task of one test may leak into the next."""
        deadline = time.monotonic() + timeout
        while (left := self.busy()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"work left after {timeout}s: {left}"

    def send_task(self, name: str, *args: Any) -> None:
        self.app.send_task(name, args)

    def reset(self) -> None:
        """Forget robots.txt decisions and rate-limit slots (not the broker's own keys)."""
        keys = list(self.rdb.client.scan_iter("newsflow:*"))
        if keys:
            self.rdb.client.delete(*keys)

    def log(self, name: str) -> str:
        return (self.logdir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        from shared.ops.stack import stop_processes

        stop_processes(list(self.procs.values()))
        if self.app is not None:
            self.app.close()


def _app_on(redis_url: str) -> Any:
    """shared.runtime.celery_app's configuration (queues, routes) on another broker."""
    from shared.runtime.celery_app import make_app

    old = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = redis_url
    try:
        return make_app()
    finally:
        if old is None:
            del os.environ["REDIS_URL"]
        else:
            os.environ["REDIS_URL"] = old


def start_stack(
    env: dict[str, str], workers: Iterable[tuple[str, str]], rdb: RedisDB, logdir: Path
) -> Stack:
    """Start one solo worker per (name, queue) with `env` on `rdb`, wait until all answer."""
    from shared.ops.stack import start_worker

    run = os.urandom(3).hex()
    stack = Stack(env={**env, "REDIS_URL": rdb.url}, rdb=rdb, logdir=logdir)
    stack.app = _app_on(rdb.url)
    try:
        names = []
        for name, queue in workers:
            node = f"{name}-{run}"
            stack.procs[name] = start_worker(
                queue, env=stack.env, name=node, log_file=open(logdir / f"{name}.log", "w")
            )
            names.append(node)
        deadline = time.monotonic() + 90
        while True:
            replies = stack.app.control.ping(timeout=0.5) or []
            online = {n.split("@")[0] for reply in replies for n in reply}
            if set(names) <= online:
                break
            dead = [n for n, p in stack.procs.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"workers did not come online (exited: {dead}), see {logdir}")
            time.sleep(0.3)
    except BaseException:
        stack.stop()
        raise
    return stack


# --------------------------------------------------------------------------- database
class Row(dict):
    """A document's columns; its repr keeps to what a failed assertion needs."""

    SHOWN = ("url", "state", "last_error_class", "last_error_message", "http_status", "attempts")

    def __repr__(self) -> str:
        shown = {k: self.get(k) for k in (*self.SHOWN, "raw_size", "origin")}
        if shown["last_error_message"]:
            shown["last_error_message"] = shown["last_error_message"][:200]
        return f"Row({shown})"


def document_rows() -> list[dict[str, Any]]:
    """Every document as a dict of its columns (raw body left out), oldest first."""
    from shared.db import session_scope
    from shared.models import Document

    with session_scope() as db:
        rows = db.scalars(select(Document).order_by(Document.id)).all()
        out = []
        for d in rows:
            row = Row({c.name: getattr(d, c.key) for c in Document.__table__.columns})
            row["state"] = d.state.value
            del row["raw_body"]
            out.append(row)
        return out


def documents() -> dict[str, dict[str, Any]]:
    """Every document keyed by its URL's path (+ query): one server per test, paths unique."""
    out = {}
    for row in document_rows():
        parts = urlsplit(row["url"])
        out[parts.path + (f"?{parts.query}" if parts.query else "")] = row
    return out


def articles() -> dict[str, dict[str, Any]]:
    """Every article (title, canonical_url, enriched_at...) keyed by its document's URL path."""
    from shared.db import session_scope
    from shared.models import Article, Document

    with session_scope() as db:
        rows = db.execute(select(Document.url, Article).join(Article.document)).all()
        return {
            urlsplit(url).path: {c.name: getattr(a, c.key) for c in Article.__table__.columns}
            for url, a in rows
        }


def feed_row(url: str) -> dict[str, Any] | None:
    from shared.db import session_scope
    from shared.models import Feed

    with session_scope() as db:
        f = db.scalar(select(Feed).where(Feed.url == url))
        return None if f is None else {c.name: getattr(f, c.key) for c in Feed.__table__.columns}


def truncate_feeds() -> None:
    from shared.db import session_scope

    with session_scope() as db:
        db.execute(text("TRUNCATE feeds RESTART IDENTITY"))


def poll_until(check: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    """Call `check` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check.__doc__ or check}")
        time.sleep(interval)


@contextlib.contextmanager
def running_stack(
    env: dict[str, str], workers: list[tuple[str, str]], logdir: Path
) -> Iterator[Stack]:
    """Workers on a Redis DB of their own for the `with` block; stopped and released after."""
    rdb = claim_redis_db()
    try:
        st = start_stack(env, workers, rdb, logdir)
    except BaseException:
        release_redis_db(rdb)
        raise
    try:
        yield st
    finally:
        st.stop()
        release_redis_db(rdb)
