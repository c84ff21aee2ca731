"""One process of the concurrent-enqueue burst: threads calling shared.runtime.intake.enqueue_urls.

`python -m tests.faults.burst --start-at EPOCH --threads 4 --calls 5 URL...` waits for the wall
clock to reach EPOCH (so every process starts together), then each thread calls
enqueue_urls([URL...]) `--calls` times, each call its own transaction. Prints a JSON summary:
{"calls": n, "new": n, "known": n, "errors": [..]}.
"""

from __future__ import annotations

import argparse
import json
import threading
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start-at", type=float, required=True)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("urls", nargs="+")
    args = ap.parse_args()

    from shared.runtime.intake import enqueue_urls

    lock = threading.Lock()
    summary: dict = {"calls": 0, "new": 0, "known": 0, "errors": []}

    def worker() -> None:
        for _ in range(args.calls):
            try:
                report = enqueue_urls(args.urls)
            except Exception as exc:  # reported, the test asserts there are none
                with lock:
                    summary["errors"].append(repr(exc))
                continue
            with lock:
                summary["calls"] += 1
                summary["new"] += len(report.new)
                summary["known"] += report.known

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    time.sleep(max(0.0, args.start_at - time.time()))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
