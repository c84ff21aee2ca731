#!/usr/bin/env python
"""newsflow's management command. `python manage.py --help` lists the commands.

The command names and options are a stable contract: scripts and operators rely on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from shared.times import parse_interval, parse_time

ROOT = Path(__file__).resolve().parent


def time_arg(text: str) -> datetime:
    """--since/--until: ISO 8601 or an age (2h, 3d); a bad value is a usage error saying why."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    from shared.db import ensure_database

    if ensure_database():
        print("created database")
    command.upgrade(Config(str(ROOT / "alembic.ini")), args.revision)
    print(f"migrated to {args.revision}")
    return 0


def _read_lines(args: argparse.Namespace) -> list[str]:
    lines: list[str] = list(args.urls)
    if args.file:
        lines += Path(args.file).read_text(encoding="utf-8").splitlines()
    if args.urls == ["-"]:
        lines = sys.stdin.read().splitlines()
    return [x for x in lines if x.strip() and x != "-"]


def cmd_enqueue(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from shared.runtime.intake import enqueue_urls

    if args.feed or args.sitemap:
        from shared.runtime.celery_app import app
        from shared.runtime.stages import FEED_TASK, SITEMAP_TASK

        for url in args.feed or []:
            app.send_task(FEED_TASK, (url,))
        for url in args.sitemap or []:
            app.send_task(SITEMAP_TASK, (url,))
        print(f"sent {len(args.feed or [])} feed(s), {len(args.sitemap or [])} sitemap(s)")
        if not (args.urls or args.file):
            return 0
    lines = _read_lines(args)
    new = known = 0
    invalid: list[tuple[str, str]] = []
    chunk = 500
    with tqdm(total=len(lines), unit="url", disable=len(lines) < 1000, file=sys.stderr) as bar:
        for i in range(0, len(lines), chunk):
            report = enqueue_urls(lines[i : i + chunk])
            new += len(report.new)
            known += report.known
            invalid += report.invalid
            bar.update(len(lines[i : i + chunk]))
    for raw, why in invalid:
        print(f"invalid: {raw}: {why}", file=sys.stderr)
    print(f"{new} new, {known} already known, {len(invalid)} invalid")
    return 1 if invalid and not new and not known else 0


def cmd_import(args: argparse.Namespace) -> int:
    from shared.ops.warc_import import split_sources
    from shared.runtime.handover import send_to
    from shared.runtime.intake import import_raw

    archives, others = split_sources(args.paths)
    if archives:
        rc = _import_warc(args, archives)
        if not others:
            return rc
    files: list[Path] = []
    for p in map(Path, others):
        files += sorted(x for x in p.iterdir() if x.is_file()) if p.is_dir() else [p]
    new: list[int] = []
    known = failed = 0
    for f in files:
        try:
            doc_id, outcome = import_raw(f.read_bytes(), url=args.url, send=False)
        except ValueError as exc:
            print(f"{f}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if doc_id is not None:
            new.append(doc_id)
        known += outcome == "known"
    send_to("parse", new)  # a batch per message, once all are stored
    new = len(new)
    print(f"{new} new, {known} already known, {failed} not imported")
    return 1 if failed else 0


def _import_warc(args: argparse.Namespace, sources: list[str]) -> int:
    from shared.ops.warc_import import Filters, import_warc, read_domains

    domains = read_domains(args.domain or [])
    if args.domains_file:
        domains |= read_domains(Path(args.domains_file).read_text(encoding="utf-8").splitlines())
    filters = Filters(frozenset(domains), args.registered, args.since, args.until)
    report = import_warc(
        sources, filters, limit=args.limit, on_damage=lambda m: print(m, file=sys.stderr)
    )
    print(report.line())
    return 1 if report.broken else 0  # a source given up before its end: scripts must see it


def cmd_status(args: argparse.Namespace) -> int:
    from shared.ops.status import pipeline_status, source_health

    if args.sources:
        return _print_sources(source_health(), args.json)
    if args.errors:
        return _print_errors(args.json)
    st = pipeline_status()
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    print("documents:")
    for state, n in st["documents"].items():
        print(f"  {state:<10} {n}")
    print("queues:  " + "  ".join(f"{q}={n}" for q, n in st["queues"].items()))
    if st["errors"]:
        print("errors:  " + "  ".join(f"{c}={n}" for c, n in st["errors"].items()))
    print("workers: " + (", ".join(st["workers"]) or "none online"))
    _print_stalled(st["stalled"])
    return 0


def _print_stalled(stalled: dict, out=sys.stdout) -> None:
    """Documents whose state has not moved for longer than their lease, with ids and URLs."""
    if not stalled["count"]:
        return
    print(f"stalled: {stalled['count']} documents have not moved for longer than their lease "
          "(is beat, which runs the sweeper, running?)", file=out)  # fmt: skip
    for d in stalled["documents"]:
        print(f"  {d['id']:>8} {d['state']:<9} {d['unmoved_seconds']:>6}s  {d['url']}", file=out)
    if stalled["count"] > len(stalled["documents"]):
        print(f"  ... and {stalled['count'] - len(stalled['documents'])} more", file=out)


def _print_errors(as_json: bool) -> int:
    from shared.ops.status import error_examples

    rows = error_examples()
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['error_class']} ({r['state']}): {r['count']}")
        for e in r["examples"]:
            print(f"  {e['id']:>8}  {e['url']}\n            {e['message']}")
    if rows:
        print("send a class back through the pipeline: manage.py retry --error CLASS")
    return 0


def _print_sources(rows: list[dict], as_json: bool) -> int:
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    head = f"{'domain':<28}{'docs':>6}{'fetched':>8}{'parsed':>7}  title  date  author body  median  failed / alerts"
    print(head)
    for r in rows:
        w = r.get("recent") or r.get("past") or {}
        rates = "".join(f"{w.get(f, 0):>6.0%}" for f in ("title", "date", "author", "body"))
        failed = ", ".join(f"{k}={v}" for k, v in r["failed"].items())
        alerts = ("  ALERT: " + "; ".join(r["alerts"])) if r["alerts"] else ""
        print(
            f"{r['domain'][:27]:<28}{r['documents']:>6}{r['fetched']:>8}{r['parsed']:>7}  "
            f"{rates}{w.get('median_body', 0):>8}  {failed}{alerts}"
        )
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    """Block until idle; say so when documents stall meanwhile, and name them on timeout."""
    from shared.ops.status import is_idle, stalled_documents

    deadline = time.monotonic() + args.timeout
    reported: set[int] = set()
    next_check = time.monotonic() + min(5.0, args.timeout / 2)
    while time.monotonic() < deadline:
        if is_idle():
            return 0
        if time.monotonic() >= next_check:  # a stall is reported once, when it is first seen
            stalled = stalled_documents()
            if {d["id"] for d in stalled["documents"]} - reported:
                _print_stalled(stalled, out=sys.stderr)
                reported |= {d["id"] for d in stalled["documents"]}
            next_check = time.monotonic() + 5.0
        time.sleep(args.interval)
    print(f"timed out after {args.timeout:.0f}s with work still in progress", file=sys.stderr)
    _print_stalled(stalled_documents(), out=sys.stderr)
    return 1


def cmd_alive(args: argparse.Namespace) -> int:
    """Healthcheck of one worker: it answers a ping, or its tasks beat (busy with a batch)."""
    from shared.redis_client import get_redis
    from shared.runtime.celery_app import app
    from shared.runtime.heartbeat import age

    beat_age = age(get_redis(), args.node)
    if beat_age is not None and beat_age < args.max_age:
        print(f"{args.node}: busy, last progress {beat_age:.0f}s ago")
        return 0
    if app.control.ping(destination=[args.node], timeout=args.timeout):
        print(f"{args.node}: answers")
        return 0
    print(f"{args.node}: no answer and no progress for {args.max_age:.0f}s", file=sys.stderr)
    return 1


def cmd_export(args: argparse.Namespace) -> int:
    from shared.ops.export import iter_articles

    if args.warc:
        from shared.ops.warc_export import export_warc

        report = export_warc(args.warc, args.since, args.domain or [])
        print(f"exported {report.records} responses to {args.warc}", file=sys.stderr)
        return 0

    since = args.since
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    n = 0
    try:
        for record in iter_articles(since):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"exported {n} articles", file=sys.stderr)
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    """Show what the parser makes of one page (a file, or a URL fetched now)."""
    import dataclasses

    from services.parser import is_snapshot, parse_page, parse_snapshot
    from shared.contracts import ParseFailure

    target = args.target
    headers: dict[str, str] = {}
    if target.startswith(("http://", "https://")):
        from services.fetcher.http import fetch

        result = fetch(target)
        raw, url, headers = result.body, result.final_url, result.headers
    else:
        raw, url = Path(target).read_bytes(), args.url
    try:
        if is_snapshot(raw):
            parsed = parse_snapshot(raw)
        else:
            if not url:
                print("pass --url URL for a saved HTML page", file=sys.stderr)
                return 2
            parsed = parse_page(raw, url, headers)
    except ParseFailure as exc:
        print(f"{exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    record = dataclasses.asdict(parsed)
    for k, v in record.items():
        if isinstance(v, datetime):
            from shared.ops.export import iso_z

            record[k] = iso_z(v)
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        for k, v in record.items():
            if k == "body":
                v = (v[:600] + " ...") if len(v) > 600 else v
            print(f"{k:>14}: {v}")
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from shared.ops import operations as ops

    if args.action == "add":
        sources = [(args.kind, url) for url in args.urls]
        if args.registered:
            from shared.publishers import registered_sources

            sources += registered_sources(args.country)
        for kind, url in sources:
            new = ops.add_feed(url, parse_interval(args.every), kind=kind)
            print(f"{'added' if new else 'updated'} {kind} {url} every {args.every}")
    elif args.action == "remove":
        for url in args.urls:
            print(f"{'removed' if ops.remove_feed(url) else 'not registered'}: {url}")
    else:
        feeds = ops.list_feeds()
        if args.json:
            print(json.dumps(feeds, default=str, indent=2))
        for f in feeds if not args.json else []:
            print(
                f"{f['kind']:<7} every {f['every_seconds']:>6}s  next {f['next_poll_at']:%Y-%m-%d %H:%M}"
                f"  {f['url']}  [{f['last_status'] or 'never polled'}]"
            )
        if not feeds and not args.json:
            print("no feeds registered")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    from shared.models import DocState
    from shared.ops.operations import retry_documents

    n = retry_documents([DocState(s) for s in args.state], args.domain, args.error)
    print(f"re-sent {n} documents")
    return 0


def cmd_reparse(args: argparse.Namespace) -> int:
    from shared.ops.operations import reparse_documents

    n = reparse_documents(args.domain, args.since)
    print(f"re-sent {n} documents to parse")
    return 0


def cmd_reenrich(args: argparse.Namespace) -> int:
    from shared.ops.operations import reenrich_articles

    n = reenrich_articles(args.domain, args.since)
    print(f"re-sent {n} articles to enrich")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from shared.ops.stack import run_stack

    return run_stack(
        flower=not args.no_flower, data_dir=Path(args.data_dir), flower_port=args.flower_port
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from shared.ops.demo import run_demo

    return run_demo(Path(args.samples), data_dir=Path(args.data_dir), timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("migrate", help="create the database if needed, then alembic upgrade")
    s.add_argument("revision", nargs="?", default="head")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("enqueue", help="add URLs (or feeds / sitemaps) to fetch")
    s.add_argument("urls", nargs="*", help="URLs, or - to read them from stdin")
    s.add_argument("--file", help="a file with one URL per line")
    s.add_argument("--feed", action="append", help="an RSS/Atom feed URL (repeatable)")
    s.add_argument("--sitemap", action="append", help="a sitemap URL (repeatable)")
    s.set_defaults(func=cmd_enqueue)

    s = sub.add_parser(
        "import",
        help="WARC archives (files, folders, http(s) URLs), saved snapshots or HTML -> parse",
    )
    s.add_argument("paths", nargs="+")
    s.add_argument("--url", help="the page URL, for a saved .html file")
    s.add_argument("--domain", action="append", help="WARC: only this domain (repeatable)")
    s.add_argument("--domains-file", help="WARC: only the domains listed, one per line")
    s.add_argument("--registered", action="store_true", help="WARC: only registered publishers")
    s.add_argument("--since", type=time_arg, help="WARC: records dated (WARC-Date) since then")
    s.add_argument("--until", type=time_arg, help="WARC: records dated before then")
    s.add_argument("--limit", type=int, help="WARC: stop after N records pass the filters")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("status", help="documents per state, queue lengths, workers")
    s.add_argument("--json", action="store_true")
    s.add_argument("--sources", action="store_true", help="health per publisher domain")
    s.add_argument(
        "--errors", action="store_true", help="error classes with example document ids and URLs"
    )
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("wait", help="block until nothing is queued or in progress")
    s.add_argument("--timeout", type=float, default=600.0)
    s.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_wait)

    s = sub.add_parser("alive", help="worker healthcheck: answers a ping or makes progress")
    s.add_argument("node", help="worker node name, e.g. fetch@HOSTNAME")
    s.add_argument("--timeout", type=float, default=5.0, help="ping timeout, seconds")
    s.add_argument("--max-age", type=float, default=120.0, help="freshest heartbeat, seconds")
    s.set_defaults(func=cmd_alive)

    s = sub.add_parser("export", help="articles as JSON Lines, or raw responses as WARC")
    s.add_argument("--output", "-o")
    s.add_argument("--warc", metavar="OUT.warc.gz", help="the stored raw responses as WARC/1.1")
    s.add_argument("--domain", action="append", help="--warc: only this domain (repeatable)")
    s.add_argument(
        "--since",
        type=time_arg,
        help="ISO 8601 or an age (2h, 3d); articles (re)parsed or enriched since then",
    )
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("parse", help="show what the parser makes of one page")
    s.add_argument("target", help="a file (snapshot or HTML) or an http(s) URL")
    s.add_argument("--url", help="the page URL, for a saved .html file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_parse)

    s = sub.add_parser("feeds", help="feeds and sitemaps polled on a schedule by beat")
    s.add_argument("action", choices=["add", "list", "remove"])
    s.add_argument("urls", nargs="*")
    s.add_argument("--every", default="30m", help="poll interval: 30m, 2h, 1d (default 30m)")
    s.add_argument("--sitemap", dest="kind", action="store_const", const="sitemap", default="feed")
    s.add_argument(
        "--registered",
        action="store_true",
        help="add: every feed/sitemap of the publisher registry",
    )
    s.add_argument("--country", help="with --registered: only this country's publishers (ISO code)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_feeds)

    s = sub.add_parser("retry", help="send failed documents through the pipeline again")
    s.add_argument("--state", action="append", default=None, help="default: failed")
    s.add_argument("--domain")
    s.add_argument("--error", help="only this error class, e.g. FetchTimeout")
    s.set_defaults(func=cmd_retry)

    for name, func, what in (
        ("reparse", cmd_reparse, "parse again from the stored raw responses"),
        ("reenrich", cmd_reenrich, "enrich stored articles again"),
    ):
        s = sub.add_parser(name, help=what)
        g = s.add_mutually_exclusive_group(required=True)
        g.add_argument("--all", action="store_true")
        g.add_argument("--domain")
        g.add_argument(
            "--since", type=time_arg, help="ISO 8601 or 2h / 3d: documents created since"
        )
        s.set_defaults(func=func)

    s = sub.add_parser("up", help="run the local stack in the foreground")
    s.add_argument("--no-flower", action="store_true")
    s.add_argument("--flower-port", type=int, default=5555)
    s.add_argument("--data-dir", default=str(ROOT / ".data"))
    s.set_defaults(func=cmd_up)

    s = sub.add_parser("demo", help="ingest the sample articles end to end and show them")
    s.add_argument("--samples", default=str(ROOT / "samples"))
    s.add_argument("--data-dir", default=str(ROOT / ".data"))
    s.add_argument("--timeout", type=float, default=300.0)
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "state", "") is None:
        args.state = ["failed"]
    try:
        return args.func(args)
    except (FileNotFoundError, IsADirectoryError, ValueError) as exc:  # operator input
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
