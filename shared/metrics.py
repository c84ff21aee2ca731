"""Opt-in stage CPU accounting for benchmarks (NEWSFLOW_METRICS=1).

Tasks wrap their pure stage logic in `stage_cpu("parse")`; the CPU time spent inside (thread
time, so waiting on I/O does not count) is added to a Redis hash. bench/e2e.py compares it with
the worker processes' total CPU to find the share spent outside stage logic (Celery, Redis, SQL).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

KEY = "newsflow:metrics:stage_cpu"


def enabled() -> bool:
    return os.environ.get("NEWSFLOW_METRICS", "") in {"1", "true", "yes"}


@contextmanager
def stage_cpu(stage: str) -> Iterator[None]:
    if not enabled():
        yield
        return
    start = time.thread_time()
    try:
        yield
    finally:
        spent = time.thread_time() - start
        from shared.redis_client import get_redis

        pipe = get_redis().pipeline()
        pipe.hincrbyfloat(KEY, f"{stage}:cpu", spent)
        pipe.hincrby(KEY, f"{stage}:calls", 1)
        pipe.execute()
