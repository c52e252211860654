"""The report of a run: the figures, the ratios to the baselines and the command behind them.

:func:`print_report` prints a Markdown table of every scenario (req/s, latency percentiles,
ratio to its baseline, statuses), the ratios asked for, warnings for non-2xx answers, the
targets met or missed, the command line that reproduces the run and the environment it ran in;
:func:`results_json` is the same as JSON. :func:`progress_line` is the line printed as each
scenario finishes.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loaders import LoadResult

if TYPE_CHECKING:
    from scenarios import ScenarioResult

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The machine's load before the run: other work on the machine skews every figure.
LOAD_BEFORE = os.getloadavg() if hasattr(os, "getloadavg") else None


def _statuses(load: LoadResult) -> str:
    parts = [f"{status}×{n}" for status, n in sorted(load.statuses.items())]
    parts += [f"{name}×{n}" for name, n in sorted(load.errors.items())]
    return " ".join(parts) or "-"


def progress_line(name: str, load: LoadResult) -> str:
    """One scenario's figures, printed as soon as it has been measured."""
    return (
        f"  {name:<22} {load.rps:>9,.0f} req/s  p50 {load.percentile(50):6.1f} ms"
        f"  p99 {load.percentile(99):6.1f} ms  {_statuses(load)}"
    )


def _git_revision() -> str:
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return revision + ("+dirty" if dirty else "")


def environment() -> dict[str, str]:
    from importlib.metadata import version

    packages = ("fastapi", "pydantic", "sqlalchemy", "uvicorn", "uvloop", "httptools", "psycopg")
    info = {"python": platform.python_version(), "cpus": str(os.cpu_count())}
    for name in packages:
        with contextlib.suppress(Exception):
            info[name] = version(name)
    info["git"] = _git_revision()
    if LOAD_BEFORE is not None:
        info["load avg before"] = "/".join(f"{x:.1f}" for x in LOAD_BEFORE)
    return info


def command_line(argv: Sequence[str]) -> str:
    """The command that reproduces this run, relative to the project directory."""
    python = os.path.relpath(sys.executable, PROJECT_DIR) if sys.prefix != sys.base_prefix else ""
    script = os.path.relpath(os.path.abspath(argv[0]), PROJECT_DIR)
    return shlex.join([python or sys.executable, script, *argv[1:]])


def format_table(results: Sequence[ScenarioResult]) -> str:
    header = ("scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs baseline", "statuses")
    rows = [header]
    for r in results:
        ratio = f"{r.ratio:.2f} × {r.scenario.baseline}" if r.ratio is not None else "-"
        rows.append(
            (
                r.scenario.name,
                f"{r.load.rps:,.0f}",
                f"{r.load.percentile(50):.1f}",
                f"{r.load.percentile(95):.1f}",
                f"{r.load.percentile(99):.1f}",
                ratio,
                _statuses(r.load),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i in (0, 5, 6) else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append(
                "|"
                + "|".join(
                    "-" * (w + 1) + ":" if i not in (0, 5, 6) else "-" * (w + 2)
                    for i, w in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(lines)


def print_report(
    results: Sequence[ScenarioResult],
    *,
    title: str,
    command: str,
    settings: Mapping[str, Any],
    ratios: Sequence[tuple[str, str]] = (),
) -> None:
    """The table, the ratios asked for, the targets and the command that reproduces it all."""
    by_name = {r.scenario.name: r for r in results}
    env = environment()
    print()
    print(f"## {title}")
    print()
    print("    " + command)
    print()
    print(", ".join(f"{k} {v}" for k, v in settings.items()))
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    print()
    print(format_table(results))
    lines = []
    for numerator, denominator in ratios:
        if numerator in by_name and denominator in by_name and by_name[denominator].load.rps:
            value = by_name[numerator].load.rps / by_name[denominator].load.rps
            lines.append(f"- {numerator} / {denominator}: {value:.2f}")
    for r in results:
        unexpected = sum(n for status, n in r.load.statuses.items() if not 200 <= status < 300)
        unexpected += sum(r.load.errors.values())
        if unexpected:
            lines.append(f"- WARNING {r.scenario.name}: {unexpected} non-2xx answers or errors")
        for text, met in r.targets():
            lines.append(f"- target {r.scenario.name}: {text}: {'met' if met else 'MISSED'}")
    if lines:
        print()
        print("\n".join(lines))
    print()


def results_json(results: Sequence[ScenarioResult], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "environment": environment(),
        "scenarios": [
            {
                "name": r.scenario.name,
                "target": r.scenario.target,
                "baseline": r.scenario.baseline,
                "ratio": None if r.ratio is None else round(r.ratio, 3),
                **r.load.summary(),
            }
            for r in results
        ],
    }
