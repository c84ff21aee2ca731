"""`python manage.py ...` run as an operator would. Imports nothing of the project and changes
no environment, so every harness can use it (conftest sets the test environment on import;
subprocesses of the fault suite import from tests/ too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(
    *args: str, timeout: float = 300, input: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """manage.py with this process's environment plus `env`; output captured as text."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        env={**os.environ, **(env or {})},
    )
