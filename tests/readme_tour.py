"""Runs the README's tour, block by block, against a live server, and compares what each step
answers with what the README shows, so the README cannot rot.

The tour is every ```sh block between the headings "## A tour of the API" and the next "## "
heading, run in order in one bash process (variables carry over), exactly as printed but for
the ``export KEY=...`` and ``export API=...`` lines, which the runner sets. What the README
promises, and this runner checks:

- a comment ``# → 201`` (optionally ``# → 200, ETag: "2"``) after a ``curl`` states that call's
  status and headers;
- a ```json block right after an ```sh block shows the body of that block's last call: every
  key shown must be in the answer with the value shown (keys left out are not checked), ``"..."``
  inside a string matches any text, and a list ending in ``"..."`` may have more items;
- every curl call succeeds at the transport level and no step writes to standard error.

Run it by hand against a server of your own: ``python -m tests.readme_tour --api URL --key KEY``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOUR_START = "## A tour of the API"
FENCE = re.compile(r"^```(\w*)\s*$")
ARROW = re.compile(r"#\s*→\s*(\d{3})(.*)$")
HEADER = re.compile(r",\s*([A-Za-z][A-Za-z-]*):\s*([^,\s]+)")
COMMENT = re.compile(r"(^|\s)#.*$")
CURL = re.compile(r"(?<![\w-])curl(?![\w-])")
KEY_LINE = re.compile(r"^export KEY=.*$", re.MULTILINE)
API_LINE = re.compile(r"^export API=\S+(.*)$", re.MULTILINE)


@dataclass
class CallExpectation:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False


@dataclass
class Block:
    line: int  # where the block starts in the README, for messages
    code: str
    calls: list[CallExpectation]


@dataclass
class Call:
    status: int
    headers: dict[str, str]
    body: bytes
    exit_code: int


def tour_blocks(readme: str) -> list[Block]:
    """The tour's ```sh blocks with what the README says each curl call answers."""
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(TOUR_START))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks: list[Block] = []
    i = start
    last_fence_end = -1
    while i < end:
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        language, body_start = match.group(1), i + 1
        j = body_start
        while not lines[j].startswith("```"):
            j += 1
        text = "\n".join(lines[body_start:j])
        if language == "sh":
            blocks.append(Block(line=i + 1, code=text, calls=_calls_of(text)))
        elif language == "json" and blocks and last_fence_end == i - 1:
            if not blocks[-1].calls:
                raise ValueError(f"README line {i + 1}: an output block follows no curl call")
            blocks[-1].calls[-1].body = json.loads(text)
            blocks[-1].calls[-1].has_body = True
        last_fence_end = j
        i = j + 1
    return blocks


def _calls_of(code: str) -> list[CallExpectation]:
    calls: list[CallExpectation] = []
    for line in code.splitlines():
        command = COMMENT.sub("", line)
        calls.extend(CallExpectation() for _ in CURL.finditer(command))
        arrow = ARROW.search(line)
        if arrow:
            if not calls:
                raise ValueError(f"a '# →' comment before any curl call: {line!r}")
            calls[-1].status = int(arrow.group(1))
            calls[-1].headers = dict(HEADER.findall(arrow.group(2)))
    return calls


# Every curl call of the tour goes through this function: it keeps the status line, headers
# and body of each call, in order, so the runner can compare them with the README.
_DRIVER_PRELUDE = r"""
curl() {
  local call="$TOUR_CALLS/$(date +%s%N)"
  command curl -D "$call.headers" -o "$call.body" "$@"
  local code=$?
  echo "$code" > "$call.exit"
  [ -f "$call.body" ] && cat "$call.body"
  return "$code"
}
"""


def run_tour(blocks: list[Block], *, api: str, key: str, workdir: Path) -> list[str]:
    """Runs the blocks in one bash process; returns every difference from the README."""
    script = [_DRIVER_PRELUDE, f"export KEY={_quote(key)}", f"export API={_quote(api)}"]
    for number, block in enumerate(blocks):
        code = API_LINE.sub("", KEY_LINE.sub("", block.code))
        (workdir / f"block{number}.sh").write_text(code + "\n")
        (workdir / f"calls{number}").mkdir()
        script.append(
            f'TOUR_CALLS="{workdir}/calls{number}"; '
            f'. "{workdir}/block{number}.sh" > "{workdir}/out{number}" 2> "{workdir}/err{number}"'
        )
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, timeout=300, check=False)
    problems: list[str] = []
    for number, block in enumerate(blocks):
        where = f"README block at line {block.line}"
        errors = (workdir / f"err{number}").read_text()
        if errors.strip():
            problems.append(f"{where} wrote to stderr:\n{errors}")
        calls = _calls_made(workdir / f"calls{number}")
        if len(calls) != len(block.calls):
            problems.append(
                f"{where}: {len(calls)} curl calls ran, the block shows {len(block.calls)}"
            )
            continue
        for index, (made, shown) in enumerate(zip(calls, block.calls, strict=True)):
            problems.extend(f"{where}, call {index + 1}: {p}" for p in _compare(made, shown))
    return problems


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _calls_made(directory: Path) -> list[Call]:
    calls = []
    for exit_file in sorted(directory.glob("*.exit"), key=lambda p: int(p.stem)):
        stem = directory / exit_file.stem
        exit_code = int(exit_file.read_text())
        headers_text = Path(f"{stem}.headers").read_text() if exit_code == 0 else ""
        status, headers = _parse_headers(headers_text)
        body_path = Path(f"{stem}.body")
        calls.append(
            Call(status, headers, body_path.read_bytes() if body_path.exists() else b"", exit_code)
        )
    return calls


def _parse_headers(text: str) -> tuple[int, dict[str, str]]:
    status, headers = 0, {}
    for line in text.splitlines():
        if line.startswith("HTTP/"):
            status, headers = int(line.split()[1]), {}
        elif ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


def _compare(made: Call, shown: CallExpectation) -> list[str]:
    if made.exit_code != 0:
        return [f"curl exited with {made.exit_code}"]
    problems = []
    if shown.status is not None and made.status != shown.status:
        problems.append(
            f"status {made.status}, the README shows {shown.status}: {made.body[:400]!r}"
        )
    for name, value in shown.headers.items():
        actual = made.headers.get(name.lower())
        if actual is None or not _matches(value, actual):
            problems.append(f"header {name}: {actual!r}, the README shows {value!r}")
    if shown.has_body:
        try:
            answer = json.loads(made.body)
        except ValueError:
            return [*problems, f"the answer is not JSON: {made.body[:200]!r}"]
        problems.extend(_differences(shown.body, answer, "body"))
    return problems


def _matches(pattern: str, actual: str) -> bool:
    if "..." not in pattern:
        return pattern == actual
    regex = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(regex, actual, flags=re.DOTALL) is not None


def _differences(shown: Any, actual: Any, path: str) -> list[str]:
    if isinstance(shown, str) and "..." in shown:
        if isinstance(actual, str) and _matches(shown, actual):
            return []
        if shown == "..." and actual is not None:
            return []
        return [f"{path} is {actual!r}, the README shows {shown!r}"]
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{path} is {actual!r}, the README shows an object"]
        found = []
        for key, value in shown.items():
            if key not in actual:
                found.append(f"{path}.{key} is missing")
            else:
                found.extend(_differences(value, actual[key], f"{path}.{key}"))
        return found
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{path} is {actual!r}, the README shows a list"]
        open_ended = bool(shown) and shown[-1] == "..."
        items = shown[:-1] if open_ended else shown
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{path} has {len(actual)} items, the README shows {len(items)}"]
        found = []
        for index, item in enumerate(items):
            found.extend(_differences(item, actual[index], f"{path}.{index}"))
        return found
    if shown != actual:
        return [f"{path} is {actual!r}, the README shows {shown!r}"]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="the demo admin key `make run` printed")
    parser.add_argument("--readme", default="README.md")
    arguments = parser.parse_args()
    blocks = tour_blocks(Path(arguments.readme).read_text())
    with tempfile.TemporaryDirectory() as workdir:
        problems = run_tour(blocks, api=arguments.api, key=arguments.key, workdir=Path(workdir))
    for problem in problems:
        print(problem)
    print(f"{len(blocks)} blocks, {len(problems)} differences from the README")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
