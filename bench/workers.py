"""Helpers the benchmarks share for the real workers they start."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def wait_ready(log: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Block until the worker writing `log` says it is ready (or fail if it exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited, see {log}")
        if " ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"worker not ready, see {log}")


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_manage(env: dict[str, str], *args: str, tree: Path) -> tuple[str, float, float]:
    """(stdout, CPU seconds, wall seconds) of one `manage.py` run of the checkout `tree`."""
    import sys

    cpu0, t0 = children_cpu(), time.monotonic()
    out = subprocess.run(
        [sys.executable, str(tree / "manage.py"), *args], cwd=tree, env=env,
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout, cpu, wall
