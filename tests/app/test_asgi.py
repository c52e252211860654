"""The served app (``needleplan.asgi:app``) leaves what it built at start-up out of the garbage
collector's full passes (docs/performance.md#garbage-collection): those passes otherwise walk
every object of the app and pause each request in flight while they do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_the_served_app_is_frozen_out_of_full_collections(tmp_path: Path) -> None:
    # A process of its own, as a server worker imports it: freezing is for good.
    probe = (
        "import gc, json, needleplan.asgi; "
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects())}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={"NEEDLEPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    # The app, its routes and schemas are well over 100,000 objects; nearly all are frozen.
    assert counts["frozen"] > 100_000
    assert counts["tracked"] < counts["frozen"] // 100
