"""Shared helpers for the bench/ scripts: a median timer, scratch folders, subprocess timing, a table.

Every figure a bench script prints is put next to a *physical reference* measured in the same run
(a plain copy, a hash, an fsync'd write, a bare ``python -c pass``), because this kind of machine
is noisy: absolute seconds move by 30% between runs, ratios much less.

These are scripts run by hand (``python bench/bench_log.py``), never timed tests.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ensure_importable() -> dict[str, str]:
    """Make ``import nb_registry`` work from a checkout that is not pip-installed; return the env
    that child processes need for the same (PYTHONPATH pointing at the checkout when necessary)."""
    env = dict(os.environ)
    try:
        import importlib.util

        found = importlib.util.find_spec("nb_registry") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        sys.path.insert(0, REPO)
        env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


CHILD_ENV = _ensure_importable()


# -- command line ----------------------------------------------------------------------------
def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dir", default="/tmp/nbr-bench", help="scratch folder for files and registries (default %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="repetitions per figure; medians are reported (default %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder afterwards")
    return p


# -- timing ----------------------------------------------------------------------------------
def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def time_once(fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> tuple[float, Any]:
    """Run ``setup()`` (untimed) then time ``fn()``; return (seconds, fn's result)."""
    if setup is not None:
        setup()
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def timed(fn: Callable[[], Any], repeat: int = 3, setup: Callable[[], Any] | None = None,
          warmup: int = 0) -> list[float]:
    """Times of ``repeat`` calls of ``fn`` (each after an untimed ``setup``), after ``warmup`` untimed calls."""
    for _ in range(warmup):
        if setup is not None:
            setup()
        fn()
    return [time_once(fn, setup)[0] for _ in range(repeat)]


def median_time(fn: Callable[[], Any], repeat: int = 3, setup: Callable[[], Any] | None = None, warmup: int = 0) -> float:
    return median(timed(fn, repeat, setup, warmup))


def settle() -> None:
    """Flush dirty pages left by the previous step so it does not slow the next one down."""
    os.sync()
    time.sleep(0.2)


def run_python(code: str, repeat: int = 5, warmup: int = 1, env: dict[str, str] | None = None,
               args: Sequence[str] = ()) -> list[float]:
    """Wall times of a fresh ``python -c code`` (the bench's interpreter), start to exit."""
    cmd = [sys.executable, *args, "-c", code]
    times = []
    for i in range(warmup + repeat):
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env or CHILD_ENV, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if r.returncode != 0:
            raise RuntimeError(f"{cmd!r} failed ({r.returncode}):\n{r.stderr}")
        if i >= warmup:
            times.append(dt)
    return times


class ThreadSampler:
    """Peak OS thread count of this process (Python and native threads, from /proc) while active."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.peak = 0
        self.baseline = _os_threads()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _os_threads())
            time.sleep(self.interval)

    def __enter__(self) -> "ThreadSampler":
        self._t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._t.join()

    @property
    def extra(self) -> int:
        """Threads started by the measured code (the sampler's own thread excluded)."""
        return max(0, self.peak - self.baseline - 1)


def _os_threads() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# -- scratch folders -------------------------------------------------------------------------
class Scratch:
    """A fresh folder under ``--dir`` for one bench run; removed at the end unless ``--keep``."""

    def __init__(self, base: str, name: str, keep: bool = False) -> None:
        self.root = os.path.join(os.path.abspath(base), f"{name}-{_dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}")
        self.keep = keep
        os.makedirs(self.root)

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def fresh(self, prefix: str) -> str:
        """A new, not yet existing path (a file, a folder or a registry root) inside the scratch folder."""
        return self.path(f"{prefix}-{uuid.uuid4().hex[:8]}")

    def __enter__(self) -> "Scratch":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.keep:
            print(f"\n(scratch kept at {self.root})")
        else:
            rmtree(self.root)


def rmtree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def tree_bytes(path: str) -> int:
    """Total size of the regular files below ``path``."""
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(folder, f)).st_size
            except FileNotFoundError:
                pass
    return total


def write_random(path: str, size: int, chunk: int = 16 << 20) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


def read_through(path: str, chunk: int = 16 << 20) -> None:
    """Read a file once so it sits in the page cache."""
    with open(path, "rb", buffering=0) as f:
        while f.read(chunk):
            pass


# -- reporting -------------------------------------------------------------------------------
def machine() -> str:
    return (f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def header(title: str, args: argparse.Namespace | None = None) -> None:
    print(f"# {title}")
    print(f"# {_dt.datetime.now():%Y-%m-%d %H:%M}  {machine()}")
    if args is not None:
        opts = " ".join(f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k != "keep")
        print(f"# {opts}")
    print()


def fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} us"


class Table:
    """Rows of: figure, measured, reference (name and value), ratio, target, verdict."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.misses: list[str] = []

    def add(self, figure: str, value: float | str, ref_name: str = "", ref: float | None = None,
            ratio: float | None = None, target: str = "", ok: bool | None = None, unit: str = "x") -> None:
        val = value if isinstance(value, str) else fmt_s(value)
        if ratio is None and ref and not isinstance(value, str):
            ratio = value / ref
        if ratio is None:
            r = "-"
        elif unit == "%":
            r = f"{ratio * 100:.2f} %"
        else:
            r = f"{ratio:.2f}x"
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        if ok is False:
            self.misses.append(figure)
        self.rows.append((figure, val, f"{ref_name} {fmt_s(ref)}".strip() if ref_name else "", r, target, verdict))
        print(f"  {figure}: {val}" + (f"  ({r} of {ref_name})" if ref_name and r != "-" else "") +
              (f"  [{verdict} target {target}]" if verdict else ""), flush=True)

    def note(self, figure: str, text: str) -> None:
        self.rows.append((figure, text, "", "", "", ""))
        print(f"  {figure}: {text}", flush=True)

    def print(self) -> None:
        cols = ("figure", "measured", "reference", "ratio", "target", "")
        widths = [max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c) for i, c in enumerate(cols)]
        line = lambda r: "| " + " | ".join(x.ljust(w) for x, w in zip(r, widths)) + " |"  # noqa: E731
        print()
        print(line(cols))
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in self.rows:
            print(line(r))
        if self.misses:
            print(f"\nMISSED: {', '.join(self.misses)}")


@contextmanager
def step(title: str) -> Iterator[None]:
    print(f"- {title} ...", flush=True)
    t = time.perf_counter()
    yield
    print(f"  ({time.perf_counter() - t:.1f} s)", flush=True)
