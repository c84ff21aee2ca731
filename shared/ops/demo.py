"""`make demo`: ingest the sample articles end to end on real workers and show the result.

Uses a throwaway database (`<DATABASE_URL's name>_demo`) and Redis DB 9, so it never touches
real data and always shows what the current code makes of the samples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from shared.ops.stack import ROOT, STAGES, ensure_services, start_worker, stop_processes


def _demo_urls(database_url: str, redis_url: str) -> tuple[str, str]:
    db = make_url(database_url)
    db = db.set(database=f"{db.database or 'newsflow'}_demo")
    rds = redis_url.rsplit("/", 1)[0] + "/9" if redis_url.count("/") > 2 else redis_url + "/9"
    return db.render_as_string(hide_password=False), rds


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _clip(s: str, width: int) -> str:
    out, w = "", 0
    for c in s:
        cw = _width(c)
        if w + cw > width - 1:
            return out + "…" + " " * (width - w - 1)
        out, w = out + c, w + cw
    return out + " " * (width - w)


def print_articles(records: list[dict]) -> None:
    print()
    print(f"{len(records)} articles stored")
    for r in records:
        pub = r.get("publisher") or {}
        print("─" * 100)
        print(f"  title      {r['title']}")
        print(
            f"  published  {r['published_at']}   ({r.get('time_rule')})   fetched {r['fetched_at']}"
        )
        print(
            f"  language   {r['language']}   section {r['section']}   "
            f"publisher {pub.get('name')} / {pub.get('name_en')} ({pub.get('country')})"
        )
        print(f"  lead       {_clip(r['lead'] or '', 88)}")
        print(f"  body       {len(r['body'])} chars, {r['body'].count(chr(10) * 2) + 1} paragraphs")
        for t in ("PER", "LOC", "ORG"):
            names = [f"{e['name']}×{e['mentions']}" for e in r["entities"] if e["type"] == t]
            print(f"  {t:<10} {', '.join(names) or '-'}")
        cited = [f"{c['name']} ({c['name_en']})×{c['mentions']}" for c in r["cited_sources"]]
        print(f"  cites      {', '.join(cited) or '-'}")
    print("─" * 100)


def run_demo(samples: Path, data_dir: Path, timeout: float = 300.0) -> int:
    services = ensure_services(data_dir)
    db_url, redis_url = _demo_urls(services.database_url, services.redis_url)
    os.environ.update(DATABASE_URL=db_url, REDIS_URL=redis_url, NEWSFLOW_ALLOW_PRIVATE_HOSTS="1")
    from shared.db import drop_database

    drop_database(db_url)  # a fresh run every time
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    manage = [sys.executable, str(ROOT / "manage.py")]
    workers = []
    try:
        subprocess.run([*manage, "migrate"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        workers = [start_worker(q) for q in STAGES]
        print(f"started workers: {', '.join(STAGES)}")
        subprocess.run([*manage, "import", str(samples)], check=True, cwd=ROOT)
        started = time.monotonic()
        rc = subprocess.run([*manage, "wait", "--timeout", str(timeout)], cwd=ROOT).returncode
        print(f"pipeline finished in {time.monotonic() - started:.1f}s")
        subprocess.run([*manage, "status"], cwd=ROOT)
        from shared.ops.export import iter_articles

        print_articles(list(iter_articles()))
        return rc
    finally:
        stop_processes(workers)
        services.stop()
