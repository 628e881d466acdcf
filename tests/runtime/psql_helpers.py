"""Run SQL scripts with the real psql, as users run the output of `alembic upgrade --sql`."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from sqlalchemy.engine import make_url


def libpq_url(url: str) -> str:
    """The libpq form (``postgresql://...``) of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def psql_command(url: str, *options: str) -> list[str]:
    found = shutil.which("psql")
    assert found is not None, "psql is not on PATH"
    return [found, "-X", "--no-psqlrc", "-d", libpq_url(url), *options]


def psql(url: str, script: str, *options: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Pipe ``script`` into psql (no ON_ERROR_STOP unless ``options`` set it)."""
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.run(psql_command(url, *options), input=script, env=env,
                          capture_output=True, text=True, timeout=120, check=False, **kwargs)


def errors(stderr: str) -> list[str]:
    """The messages of psql's ERROR lines."""
    return [line.split("ERROR:", 1)[1].strip() for line in stderr.splitlines()
            if "ERROR:" in line]
