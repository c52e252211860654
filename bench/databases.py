"""Databases for a benchmark run: created fresh, prepared, dropped again.

- :class:`ScratchDatabase` creates an empty SQLite file (in a new temporary directory) or
  PostgreSQL database (``needleplan_bench_<random>``, created through an admin URL) and removes
  it on :meth:`~ScratchDatabase.close`. ``calendar_bench.py`` migrates and seeds one in-process.
- :class:`BenchDatabase` is a scratch database prepared for the servers of ``run.py``: migrated
  and given an admin key through the ``needleplan`` command line (subprocesses), with the
  reference app's table created.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
NEEDLEPLAN_CLI = Path(sys.executable).parent / "needleplan"
DEFAULT_PG_ADMIN_URL = os.environ.get(
    "NEEDLEPLAN_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

DbKind = Literal["sqlite", "postgres"]


class ScratchDatabase:
    """A new, empty database; removed again on :meth:`close`.

    SQLite: ``filename`` in a new temporary directory. PostgreSQL: a new database
    ``needleplan_bench_<random>`` created through ``pg_admin_url`` and dropped (``WITH (FORCE)``).
    ``url`` is the SQLAlchemy URL of the new database.
    """

    def __init__(
        self,
        kind: DbKind,
        *,
        pg_admin_url: str = DEFAULT_PG_ADMIN_URL,
        filename: str = "needleplan.db",
    ) -> None:
        self.kind = kind
        self.workdir = Path(tempfile.mkdtemp(prefix="needleplan-bench-"))
        self._pg_admin_url = pg_admin_url
        self._pg_name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{self.workdir / filename}"
        elif kind == "postgres":
            from sqlalchemy.engine import make_url

            self._pg_name = f"needleplan_bench_{uuid.uuid4().hex[:10]}"
            with self._admin_connection() as conn:
                conn.execute(f'CREATE DATABASE "{self._pg_name}"')
            url = make_url(pg_admin_url).set(database=self._pg_name)
            self.url = url.render_as_string(hide_password=False)
        else:
            raise ValueError(f"unknown database kind {kind!r}")

    def _admin_connection(self) -> Any:
        import psycopg

        libpq_url = self._pg_admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(libpq_url, autocommit=True, connect_timeout=5)

    def close(self) -> None:
        if self._pg_name is not None:
            with contextlib.suppress(Exception), self._admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
            self._pg_name = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ScratchDatabase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class BenchDatabase(ScratchDatabase):
    """A fresh database for ``needleplan serve`` and the reference app; see :meth:`prepare`."""

    def __init__(self, kind: DbKind, *, pg_admin_url: str = DEFAULT_PG_ADMIN_URL) -> None:
        super().__init__(kind, pg_admin_url=pg_admin_url)
        self.env = {**os.environ, "NEEDLEPLAN_DATABASE_URL": self.url}
        self.admin_key = ""

    def cli(self, *args: str) -> str:
        """Run ``needleplan <args>`` against this database; return its stdout."""
        done = subprocess.run(
            [str(NEEDLEPLAN_CLI), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"needleplan {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def prepare(self) -> BenchDatabase:
        """Migrate, create an admin key and the reference app's table."""
        reference_app = _reference_app_module()
        self.cli("migrate")
        self.admin_key = self.cli("create-api-key", "--role", "admin", "--name", "bench")
        self.admin_key = self.admin_key.strip().splitlines()[-1].strip()
        reference_app.create_schema(self.url)
        return self

    def __enter__(self) -> BenchDatabase:
        return self


def _reference_app_module() -> Any:
    """``bench/reference_app.py``, wherever this module is imported from."""
    import importlib.util

    if "needleplan_bench_reference_app" in sys.modules:
        return sys.modules["needleplan_bench_reference_app"]
    spec = importlib.util.spec_from_file_location(
        "needleplan_bench_reference_app", BENCH_DIR / "reference_app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves the annotations through it
    spec.loader.exec_module(module)
    return module
