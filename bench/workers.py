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
