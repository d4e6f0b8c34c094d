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


_BASE_ENV = _ensure_importable()
CHILD_ENV = dict(_BASE_ENV)


def child_env(base_dir: str, bytecode: bool = True) -> dict[str, str]:
    """The environment for timed child processes, and make it the default of :func:`run_python`.

    With ``bytecode=True`` (what an installed package gets) the children may write and reuse .pyc
    files, kept under ``<base_dir>/pycache`` (PYTHONPYCACHEPREFIX) so the checkout stays clean,
    even where the parent environment sets PYTHONDONTWRITEBYTECODE=1 (which makes every new
    process compile nb_registry from source). ``bytecode=False`` keeps that setting forced on."""
    env = dict(_BASE_ENV)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(os.path.abspath(base_dir), "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def use_child_env(base_dir: str, bytecode: bool = True) -> dict[str, str]:
    CHILD_ENV.clear()
    CHILD_ENV.update(child_env(base_dir, bytecode))
    return CHILD_ENV


# -- command line ----------------------------------------------------------------------------
def parser(description: str, repeat: int = 3) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dir", default="/tmp/nbr-bench", help="scratch folder for files and registries (default %(default)s)")
    p.add_argument("--repeat", type=int, default=repeat, help="repetitions per figure; medians are reported (default %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder afterwards")
    p.add_argument("--profile", action="store_true", help="also print where the time goes (cProfile, -X importtime)")
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


def load() -> str:
    """The load average: other processes on a 2-core machine move every figure."""
    try:
        a, b, c = os.getloadavg()
        return f"load average {a:.2f} {b:.2f} {c:.2f}"
    except OSError:
        return ""


def header(title: str, args: argparse.Namespace | None = None) -> None:
    print(f"# {title}")
    print(f"# {_dt.datetime.now():%Y-%m-%d %H:%M}  {machine()}  {load()}")
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
        print(f"({load()} at the end; {os.cpu_count()} cores)")


@contextmanager
def step(title: str) -> Iterator[None]:
    print(f"- {title} ...", flush=True)
    t = time.perf_counter()
    yield
    print(f"  ({time.perf_counter() - t:.1f} s)", flush=True)


# -- profiles --------------------------------------------------------------------------------
def show_cprofile(prof: Any, title: str, limit: int = 18) -> None:
    """Print a cProfile.Profile: by cumulative time, then by own time."""
    import io
    import pstats

    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    print(f"\n## cProfile: {title} (total {st.total_tt:.3f} s in profiled calls)")  # type: ignore[attr-defined]
    st.sort_stats("cumulative").print_stats(limit)
    st.sort_stats("tottime").print_stats(12)
    print("\n".join(line for line in s.getvalue().splitlines()
                    if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))))


def importtime(code: str, env: dict[str, str] | None = None, share: float = 0.04) -> None:
    """Run ``python -X importtime -c code`` (after one warm-up) and print the imports that take at
    least ``share`` of the total, as a tree, and the own time summed per top-level package."""
    run_python(code, repeat=1, warmup=1, env=env)
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env or CHILD_ENV,
                       capture_output=True, text=True, check=True)
    rows = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(self_us), int(cum_us), depth, name.strip()))
    total = sum(c for _, c, d, _ in rows if d == 0)
    print(f"\n## python -X importtime -c {code!r}: {total / 1e3:.1f} ms of imports "
          "(instrumented, so inflated; shares are what matter)")
    print("   cumul.  share  module (children above their parent, as -X importtime prints them)")
    for s_, c, d, n in rows:
        if c >= share * total:
            print(f"  {c / 1e3:6.1f} ms {100 * c / total:5.1f}%  {'  ' * d}{n}")
    per_pkg: dict[str, int] = {}
    for s_, c, d, n in rows:
        per_pkg[n.split(".")[0]] = per_pkg.get(n.split(".")[0], 0) + s_
    top = sorted(per_pkg.items(), key=lambda kv: -kv[1])[:12]
    print("   own time per top-level package: " + ", ".join(f"{k} {v / 1e3:.1f} ms" for k, v in top))


class Tally:
    """Time spent in chosen functions, summed over every thread (thread-seconds), while active.

    ``Tally([(module_or_class, "name"), ...])`` wraps each attribute for the duration of a
    ``with`` block and restores it afterwards. It shows where a multi-threaded operation spends
    its time, which cProfile (main thread only) cannot. Nested calls count in both functions."""

    def __init__(self, targets: Sequence[tuple[Any, str]]) -> None:
        self.targets = list(targets)
        self.total: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._saved: list[tuple[Any, str, Any]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "Tally":
        import functools
        import inspect

        for owner, name in self.targets:
            raw = inspect.getattr_static(owner, name)
            fn = getattr(owner, name)
            label = f"{getattr(owner, '__name__', owner)}.{name}"

            def make(fn: Any, label: str) -> Any:
                @functools.wraps(fn)
                def wrapper(*a: Any, **k: Any) -> Any:
                    t = time.perf_counter()
                    try:
                        return fn(*a, **k)
                    finally:
                        dt = time.perf_counter() - t
                        with self._lock:
                            self.total[label] = self.total.get(label, 0.0) + dt
                            self.calls[label] = self.calls.get(label, 0) + 1
                return wrapper

            w = make(fn, label)
            if isinstance(raw, staticmethod):
                w = staticmethod(w)
            self._saved.append((owner, name, raw))
            setattr(owner, name, w)
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, name, raw in reversed(self._saved):
            setattr(owner, name, raw)
        self._saved.clear()

    def print(self, title: str, wall: float, base: str | None = None) -> None:
        ref = self.total.get(base, 0.0) if base else wall
        print(f"\n## where the time goes: {title} (wall {fmt_s(wall)}; thread-seconds per function, "
              f"share of {base or 'wall'})")
        for label, t in sorted(self.total.items(), key=lambda kv: -kv[1]):
            print(f"  {fmt_s(t):>10}  {100 * t / ref if ref else 0:6.1f}%  {self.calls[label]:6d} calls  {label}")


def durable_write(folder: str) -> None:
    """The reference for a metadata commit: atomic replace of a 4 KiB file, fsync'd with its folder."""
    path = os.path.join(folder, "ref.json")
    tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "wb") as f:
        f.write(b"x" * 4096)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
