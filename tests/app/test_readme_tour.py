"""The README's tour runs as printed against a fresh server with the demo data of `make run`,
and every status, header and field it shows is what the server answers (tests/readme_tour.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live_server import LiveServer, run_cli
from tests.readme_tour import run_tour, tour_blocks

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.slow
def test_the_readme_tour_runs_as_printed(live_server: LiveServer, tmp_path: Path) -> None:
    demo_key = run_cli(["seed-demo"], live_server.env).strip().splitlines()[-1]
    blocks = tour_blocks(README.read_text())
    assert len(blocks) > 10, "the tour lost its blocks"
    assert sum(len(block.calls) for block in blocks) > 40, "the tour lost its calls"
    differences = run_tour(blocks, api=live_server.base_url, key=demo_key, workdir=tmp_path)
    assert differences == [], "\n".join(differences)


def test_the_runner_reports_a_shown_field_that_differs() -> None:
    from tests.readme_tour import Call, CallExpectation, _compare

    shown = CallExpectation(
        status=201, headers={"ETag": '"1"'}, body={"a": [1, "..."]}, has_body=True
    )
    made = Call(status=200, headers={"etag": '"2"'}, body=b'{"a": [2, 3]}', exit_code=0)
    assert len(_compare(made, shown)) == 3
    same = Call(status=201, headers={"etag": '"1"'}, body=b'{"a": [1, 3], "b": 4}', exit_code=0)
    assert _compare(same, shown) == []
