#!/usr/bin/env python3
"""The project's two commands (standard library only, Python 3.10+).

    python3 dev.py test [PYTEST ARGS...]   lint, type-check, build the docs, run the tests
    python3 dev.py demo                    run the demo on the embedded PostgreSQL

Both first make sure the virtual environment exists (``.venv``, or ``$DEV_VENV``) and holds the
package with its ``test`` extra; the install is redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXTRA = "test"
NO_TESTS_RAN = 5


def venv_dir() -> Path:
    """The virtual environment: ``$DEV_VENV`` when set, else ``.venv`` beside this file."""
    chosen = os.environ.get("DEV_VENV", "").strip()
    return Path(chosen).resolve() if chosen else ROOT / ".venv"


def venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def environment(venv: Path) -> dict[str, str]:
    """This process's environment with the venv activated and no interactive prompts."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv_bin(venv)), env.get("PATH", "")])
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.pop("PYTHONHOME", None)
    return env


def run(command: list[str], venv: Path) -> int:
    """Run ``command`` in the repository root with the venv active; return its exit code."""
    print(f"\n$ {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=ROOT, env=environment(venv), stdin=subprocess.DEVNULL,
                          check=False).returncode


def prepare(venv: Path) -> None:
    """Create the venv if missing; (re)install the package when pyproject.toml changed."""
    python = venv_bin(venv) / "python"
    if not python.exists():
        print(f"creating virtual environment {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRA.encode()).hexdigest()
    stamp = venv / ".alembic-safe-installed"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    print(f"installing alembic-safe[{EXTRA}] into {venv} (pyproject.toml changed or first run)",
          flush=True)
    code = run([str(python), "-m", "pip", "install", "-qq", "--editable", f".[{EXTRA}]"],
               venv)
    if code != 0:
        raise SystemExit(f"dev.py: pip install failed (exit {code})")
    stamp.write_text(digest + "\n")


def test(venv: Path, pytest_args: list[str]) -> int:
    """ruff, mypy, the docs build (if mkdocs.yml exists), then pytest; stop at the first failure."""
    tools = venv_bin(venv)
    steps = [
        ("ruff", [str(tools / "ruff"), "check", "alembic_safe", "tests"]),
        ("mypy", [str(tools / "mypy"), "alembic_safe"]),
    ]
    with tempfile.TemporaryDirectory(prefix="alembic-safe-site-") as site:
        if (ROOT / "mkdocs.yml").exists():
            steps.append(("mkdocs", [str(tools / "mkdocs"), "build", "--strict", "--quiet",
                                     "--site-dir", site]))
        steps.append(("pytest", [str(tools / "python"), "-m", "pytest", *pytest_args]))
        for name, command in steps:
            code = run(command, venv)
            if name == "pytest" and code == NO_TESTS_RAN:
                print("dev.py: pytest collected no tests: treated as a failure", file=sys.stderr)
                return 1
            if code != 0:
                print(f"dev.py: {name} failed (exit {code})", file=sys.stderr)
                return code
    print("\ndev.py: all checks passed", flush=True)
    return 0


def demo(venv: Path) -> int:
    return run([str(venv_bin(venv) / "python"), "-m", "alembic_safe.demo"], venv)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "demo") or (argv[0] == "demo" and len(argv) > 1):
        print("usage: python3 dev.py test [PYTEST ARGS...] | python3 dev.py demo",
              file=sys.stderr)
        return 2
    venv = venv_dir()
    prepare(venv)
    return test(venv, argv[1:]) if argv[0] == "test" else demo(venv)


if __name__ == "__main__":
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py runs on any python3
        raise SystemExit("dev.py needs Python 3.10 or newer")
    raise SystemExit(main(sys.argv[1:]))
