"""Who, where and which code: user, host, git commit of a working directory. Cheap and never fatal."""

from __future__ import annotations

import datetime as _dt
import getpass
import os
import socket
import subprocess
from functools import lru_cache
from typing import Any


def user_path(path: str) -> str:
    """A local path as a person reads it: the home folder as ``~`` (``~/.nb_registry``), so that what a notebook
    shows names no machine's home; URLs and other paths unchanged."""
    home = os.path.expanduser("~").rstrip(os.sep)
    text = str(path)
    if home and home != os.sep and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def parse_time(value: str | _dt.datetime) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    t = _dt.datetime.fromisoformat(value)
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


@lru_cache(maxsize=1)
def user() -> str:
    try:
        return os.environ.get("NB_REGISTRY_USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


@lru_cache(maxsize=1)
def host() -> str:
    return socket.gethostname()


def git_info(cwd: str | None = None) -> dict[str, Any] | None:
    """``{"commit", "dirty", "root", "remote"}`` of the repository holding ``cwd``, or None."""
    cwd = cwd or os.getcwd()

    def git(*args: str) -> str:
        return subprocess.run(("git", *args), cwd=cwd, capture_output=True, text=True, timeout=5, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    info: dict[str, Any] = {"commit": commit}
    try:
        info["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
        info["root"] = git("rev-parse", "--show-toplevel")
        info["remote"] = git("config", "--get", "remote.origin.url") or None
    except (OSError, subprocess.SubprocessError):
        info.setdefault("dirty", None)
    return info
