"""The bare reference app the benchmarks compare needleplan against.

It uses the same stack (FastAPI, Pydantic v2, SQLAlchemy 2, uvicorn with uvloop + httptools) and
nothing of needleplan's: no middleware, no authentication, no audit trail, no access log.

- ``POST /echo``: an ``async def`` endpoint that validates a small Pydantic body and returns it.
  The ceiling of any JSON endpoint on this stack.
- ``POST /insert``: the minimal one-row insert of docs/performance.md: an ``async def`` endpoint that
  validates a small body and commits one ORM row with a sync SQLAlchemy ``Session`` used directly
  on the event loop, into the ``bench_reference_rows`` table of the same database the app uses.
  The SQLite engine is configured as needleplan's is (WAL, ``synchronous=NORMAL``, write
  transactions begin ``IMMEDIATE``); the PostgreSQL one uses psycopg 3 with a pool of 10 + 10.

The database comes from ``NEEDLEPLAN_BENCH_REFERENCE_DATABASE_URL``. ``databases.py`` creates
the table with :func:`create_schema` before the server starts, so several workers never race to.

Started by ``servers.py`` as ``python bench/reference_app.py --port P --workers N`` (``main``).
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import DateTime, Engine, Integer, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DATABASE_URL_VARIABLE = "NEEDLEPLAN_BENCH_REFERENCE_DATABASE_URL"
TABLE_NAME = "bench_reference_rows"


class Base(DeclarativeBase):
    pass


class ReferenceRow(Base):
    __tablename__ = TABLE_NAME

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def new_id() -> str:
    """A time-ordered UUID (version 7), as the app's primary keys are."""
    value = (time.time_ns() // 1_000_000 & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | secrets.randbits(12) << 64 | 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=10, max_overflow=10, pool_timeout=5)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_schema(url: str) -> None:
    """Create the reference table (idempotent)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


class EchoBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=0, le=1_000_000)
    tags: list[str] = Field(default_factory=list, max_length=10)


class InsertBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=0, le=1_000_000)


class InsertRead(InsertBody):
    id: str
    created_at: datetime


app = FastAPI(title="needleplan bench reference", openapi_url=None, docs_url=None)
_engine: Engine | None = None


def _get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(os.environ.get(DATABASE_URL_VARIABLE, "sqlite:///./bench-ref.db"))
    return _engine


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/echo")
async def echo(body: EchoBody) -> EchoBody:
    return body


@app.post("/insert", status_code=201)
async def insert(body: InsertBody) -> InsertRead:
    row = ReferenceRow(
        id=new_id(), name=body.name, quantity=body.quantity, created_at=datetime.now(UTC)
    )
    with Session(_get_engine(), expire_on_commit=False) as session:
        session.add(row)
        session.commit()
    return InsertRead(id=row.id, name=row.name, quantity=row.quantity, created_at=row.created_at)


@app.get("/rows/{row_id}")
async def get_row(row_id: str) -> InsertRead:
    with Session(_get_engine(), expire_on_commit=False) as session:
        row = session.get(ReferenceRow, row_id)
    if row is None:
        raise HTTPException(status_code=404)
    return InsertRead(id=row.id, name=row.name, quantity=row.quantity, created_at=row.created_at)


def main() -> None:
    """Serve this app as ``needleplan serve`` serves needleplan: uvloop, httptools, no access
    log and, with several workers on Linux, a listening socket per worker
    (``needleplan.kit.serving``), so both servers balance connections alike."""
    import argparse

    from needleplan.kit.serving import serve

    parser = argparse.ArgumentParser(description="The bare reference app of the benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    arguments = parser.parse_args()
    serve(
        "reference_app:app",
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
