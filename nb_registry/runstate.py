"""Whether a run is still running: its process alive on this host, or its heartbeat recent elsewhere. No storage."""

from __future__ import annotations

import os
import time
from typing import Any, Mapping

from . import envinfo

STALE_AFTER = 600.0  # a running run on another host with no heartbeat for this long is shown as crashed


def proc_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks since boot) from Linux's /proc, else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        return None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` lives and, when its start time was recorded, is still the same process
    (PIDs are reused, soon after a restart in a container). A zombie has exited."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = proc_stat(pid)
    if stat is not None and (stat[0] in ("Z", "X") or (start is not None and stat[1] != start)):
        return False
    return True


def effective_state(doc: Mapping[str, Any]) -> str:
    """``running`` only while its process lives; a run whose process died unfinished is ``crashed``."""
    if doc.get("state") != "running":
        return str(doc.get("state"))
    if doc.get("host") == envinfo.host():
        alive = pid_alive(int(doc.get("pid") or 0), doc.get("pid_start"))
        return "running" if alive else "crashed"
    beat = envinfo.parse_time(doc.get("heartbeat_at") or doc["started_at"]).timestamp()
    return "running" if time.time() - beat < STALE_AFTER else "crashed"


