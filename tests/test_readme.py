"""The README's code blocks, run exactly as written, in order, in an empty folder on a fresh registry.

The rules, for whoever adds a section to the README:

* Every fenced code block is an example, and it is run, in the order of the file, in one empty temporary folder
  (the working directory of every block) with a fresh ``NB_REGISTRY_ROOT`` and ``HOME`` and no other
  ``NB_REGISTRY_*`` variable. A block may use what the blocks above it made (files, registry entries, Python names);
  it may not use anything else: if it needs a file, a block above it makes the file.
* `````bash`` (or ``sh``, ``shell``): each line is one command, run by ``bash -o pipefail -c LINE``, and must exit 0.
  A line ending in ``\\`` continues on the next; blank lines and ``# comment`` lines are skipped.
* `````python`` (or ``py``): all such blocks run in one Python process, in order, as a script would
  (``__name__ == "__main__"``); an exception fails the block. A block that uses IPython syntax (a line that
  starts with ``%``, ``%%`` or ``!``, or ``name = %magic``) is a notebook cell: all notebook cells run in one
  real Jupyter kernel (nbclient, as the walkthrough tests do), in order. A kernel, not an InteractiveShell in
  this process: that is where a user types these cells, so the magics, widgets and the kernel's implicit run
  are the real ones, and nothing leaks into or out of the test process.
* `````text`` is never run (a folder layout, an output). Any other block, or a ``bash``/``python`` block that is
  not an example (it installs things, starts servers, runs the test suite), needs a marker on the line just
  before its fence: ``<!-- not-run: why -->``. An unmarked block of another language fails
  :func:`test_every_block_is_run_or_marked`.
* Services a block needs (a database, a bucket) are not provided: show them in prose, or mark the block.

A failing block is reported with its README line, the command and its output; the blocks after it are reported
as not reached (they may depend on it).
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
README = PROJECT_ROOT / "README.md"
BASH, PYTHON, NOTEBOOK, TEXT, UNKNOWN = "bash", "python", "notebook", "text", "unknown"
LANGS = {"bash": BASH, "sh": BASH, "shell": BASH, "python": PYTHON, "py": PYTHON, "text": TEXT}
FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(.*?)\s*-->\s*$")
IPYTHON_SYNTAX = re.compile(r"^\s*(%|!)|=\s*%{1,2}[A-Za-z_]", re.M)
TIMEOUT = 300


@dataclass
class Block:
    line: int  # README line of the first line of code (the fence is the line before)
    lang: str  # the info string
    code: str
    not_run: str | None  # the reason of a not-run marker

    @property
    def kind(self) -> str:
        kind = LANGS.get(self.lang.lower(), UNKNOWN)
        if kind == PYTHON and IPYTHON_SYNTAX.search(self.code):
            return NOTEBOOK
        return kind

    @property
    def runs(self) -> bool:
        return self.not_run is None and self.kind in (BASH, PYTHON, NOTEBOOK)

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.kind}"


def parse(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with the not-run marker on the line before each (HTML comments that
    span lines are skipped, fences inside them too)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i, in_comment, previous = 0, False, ""
    while i < len(lines):
        line = lines[i]
        if in_comment:
            in_comment = "-->" not in line
            i += 1
            continue
        if line.lstrip().startswith("<!--") and "-->" not in line:
            in_comment = True
            i += 1
            continue
        m = FENCE.match(line)
        if not m:
            previous = line if line.strip() else previous
            i += 1
            continue
        fence, lang = m.group(1), m.group(2)
        body, j = [], i + 1
        while j < len(lines) and not lines[j].startswith(fence[0] * len(fence)):
            body.append(lines[j])
            j += 1
        marker = NOT_RUN.match(previous)
        blocks.append(Block(i + 2, lang, "\n".join(body) + "\n", marker.group(1) if marker else None))
        previous, i = "", j + 1
    return blocks


def commands(code: str) -> Iterator[str]:
    """The command lines of a bash block: continuations joined, blank and comment lines dropped."""
    pending = ""
    for raw in code.splitlines():
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            yield line
    if pending.strip():
        yield pending


# -- the runners -------------------------------------------------------------------------------------------
DRIVER = r"""
import json, os, sys, traceback
results = os.fdopen(int(sys.argv[1]), "w")
namespace = {"__name__": "__main__", "__builtins__": __builtins__}
for message in sys.stdin:
    block = json.loads(message)
    try:  # blank lines in front: tracebacks give README line numbers
        exec(compile("\n" * (block["line"] - 1) + block["code"], "README.md", "exec"), namespace)
        reply = {"ok": True}
    except BaseException:
        reply = {"ok": False, "error": traceback.format_exc()}
    sys.stdout.flush(); sys.stderr.flush()
    results.write(json.dumps(reply) + "\n"); results.flush()
"""


class PythonRunner:
    """One Python process for every ```python block: each block is exec'd in the same ``__main__`` namespace."""

    def __init__(self, cwd: Path, env: dict[str, str], log: Path) -> None:
        read, write = os.pipe()
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(write)], stdin=subprocess.PIPE,
                                     stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     pass_fds=[write], text=True)
        os.close(write)
        self.results = os.fdopen(read)

    def run(self, block: Block) -> str | None:
        start = self.log.stat().st_size
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"line": block.line, "code": block.code}) + "\n")
        self.proc.stdin.flush()
        if not select.select([self.results], [], [], TIMEOUT)[0]:
            self.proc.kill()
            return f"no answer in {TIMEOUT} s (the block hangs?):\n{self.log.read_bytes()[start:].decode(errors='replace')}"
        reply = self.results.readline()
        output = self.log.read_bytes()[start:].decode(errors="replace")
        if not reply:
            return f"the Python process exited ({self.proc.wait(30)}):\n{output}"
        result = json.loads(reply)
        return None if result["ok"] else f"{result['error']}\noutput:\n{output}"

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.results.close()


class KernelRunner:
    """One Jupyter kernel (nbclient) for every notebook cell, started at the first one."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        import nbclient
        import nbformat

        self.nb = nbformat.v4.new_notebook()
        self.client = nbclient.NotebookClient(self.nb, kernel_name="python3", timeout=TIMEOUT, allow_errors=False,
                                              resources={"metadata": {"path": str(cwd)}})
        self._context = self.client.setup_kernel(env=env)
        self._context.__enter__()

    def run(self, block: Block) -> str | None:
        import nbformat
        from nbclient.exceptions import CellExecutionError

        cell = nbformat.v4.new_code_cell(block.code)
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except CellExecutionError as e:
            return str(e)
        errors = [o for o in cell.outputs if o.output_type == "error" or
                  (o.output_type == "stream" and o.name == "stderr" and "UsageError" in o.text)]
        return "\n".join(json.dumps(o) for o in errors) or None

    def close(self) -> None:
        self._context.__exit__(None, None, None)


def run_bash(block: Block, cwd: Path, env: dict[str, str]) -> str | None:
    for command in commands(block.code):
        p = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                           text=True, timeout=TIMEOUT)
        if p.returncode != 0:
            return f"$ {command}\nexit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return None


def readme_env(tmp: Path) -> dict[str, str]:
    """A fresh registry and home; this interpreter's scripts (``nb-registry``) first on the PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NB_REGISTRY_", "PYTHONWARNINGS", "JPY_"))}
    (tmp / "home").mkdir(exist_ok=True)
    env.update(NB_REGISTRY_ROOT=str(tmp / "registry"), HOME=str(tmp / "home"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    return env


def run_all(blocks: list[Block], tmp: Path) -> dict[str, str | None]:
    """Run every runnable block in order; {block id: None (ok) or what failed}. Stops at the first failure."""
    work = tmp / "work"
    work.mkdir()
    env = readme_env(tmp)
    python: PythonRunner | None = None
    kernel: KernelRunner | None = None
    results: dict[str, str | None] = {}
    try:
        for block in blocks:
            if not block.runs:
                continue
            if block.kind == BASH:
                results[block.id] = run_bash(block, work, env)
            elif block.kind == PYTHON:
                python = python or PythonRunner(work, env, tmp / "python.log")
                results[block.id] = python.run(block)
            else:
                kernel = kernel or KernelRunner(work, env)
                results[block.id] = kernel.run(block)
            if results[block.id] is not None:
                break
    finally:
        if python:
            python.close()
        if kernel:
            kernel.close()
    return results


BLOCKS = parse(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def readme_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    return run_all(BLOCKS, tmp_path_factory.mktemp("readme"))


# -- the README ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.runs], ids=lambda b: b.id)
def test_readme_block_runs_as_written(block: Block, readme_results: dict[str, str | None]) -> None:
    assert block.id in readme_results, f"README.md line {block.line}: not reached, an earlier block failed"
    problem = readme_results[block.id]
    assert problem is None, f"README.md line {block.line} ({block.kind} block) failed:\n{problem}"


def test_every_block_is_run_or_marked() -> None:
    unmarked = [b for b in BLOCKS if b.not_run is None and b.kind == UNKNOWN]
    assert not unmarked, ("README blocks that are neither run nor marked (see the rules at the top of "
                          f"tests/test_readme.py): {[f'line {b.line}: ```{b.lang}' for b in unmarked]}")
    assert all(b.not_run for b in BLOCKS if b.not_run is not None), "a not-run marker says why"
    kinds = {b.kind for b in BLOCKS if b.runs}
    assert {BASH, PYTHON, NOTEBOOK} <= kinds, kinds  # the three ways in: a shell, a script, a notebook


def test_the_rules_parse_as_documented(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        <!-- a comment that spans lines
        ```bash
        never a block
        ```
        -->
        ```python
        import os
        ```

        ```python
        x = %use m:best
        ```
        <!-- not-run: installs things -->
        ```bash
        pip install x
        ```
        ```text
        <root>/blobs
        ```
        ```yaml
        a: 1
        ```
        ```bash
        echo one \\
          two   # a continued line
        # a comment line

        false
        ```
        """)
    blocks = parse(text)
    assert [(b.line, b.kind, b.runs) for b in blocks] == [
        (7, PYTHON, True), (11, NOTEBOOK, True), (15, BASH, False), (18, TEXT, False), (21, UNKNOWN, False),
        (24, BASH, True)]
    assert blocks[2].not_run == "installs things"
    assert list(commands(blocks[-1].code)) == ["echo one    two   # a continued line", "false"]
    env = readme_env(tmp_path)
    (tmp_path / "w").mkdir()
    failed = run_bash(blocks[-1], tmp_path / "w", env)
    assert failed is not None and failed.startswith("$ false\nexit 1")


def test_a_failing_block_is_reported_with_its_readme_line(tmp_path: Path) -> None:
    """A Python block that raises, and a notebook cell whose magic fails, are failures that name what went wrong."""
    blocks = parse("```python\nx = 1\n```\n\n```python\nimport json\njson.loads('{')\n```\n\n"
                   "```python\n%load_ext nb_registry\n```\n\n```python\n%use nosuch:latest\n```\n")
    (tmp_path / "work").mkdir()
    env = readme_env(tmp_path)
    python = PythonRunner(tmp_path / "work", env, tmp_path / "python.log")
    try:
        assert python.run(blocks[0]) is None
        failed = python.run(blocks[1])
        assert failed is not None and 'File "README.md", line 7' in failed and "JSONDecodeError" in failed, failed
    finally:
        python.close()
    kernel = KernelRunner(tmp_path / "work", env)
    try:
        assert kernel.run(blocks[2]) is None
        failed = kernel.run(blocks[3])
        assert failed is not None and "nosuch" in failed, failed
    finally:
        kernel.close()
