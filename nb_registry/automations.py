"""Automations: deliver registered-model events to hooks from *your own* configuration.

Moving an alias or linking a version writes an event in the registry (an outbox, in the same atomic
write as the move). Nothing in a registry ever runs: the hooks that react to events live in the
configuration of the user who runs a worker, ``~/.config/nb_registry/automations.json``
(``$XDG_CONFIG_HOME``, or the folder ``NB_REGISTRY_CONFIG`` names)::

    {"hooks": [
      {"name": "deploy", "model": "churn", "alias": "production", "command": ["bash", "deploy.sh"]},
      {"name": "notify", "model": "*", "events": ["alias", "link"],
       "webhook": "https://ci.example.com/hook", "secret_env": "NB_REGISTRY_HOOK_SECRET"}
    ]}

A worker (``nb-registry automations serve``, or the Jupyter server extension when its owner sets
``c.NbRegistry.serve_automations = True``) delivers each event to each matching hook at least once:

* a *command* runs with ``NB_REGISTRY_MODEL``, ``_ALIAS``, ``_VERSION``, ``_ARTIFACT``, ``_PATH`` (the
  version downloaded), ``_EVENT`` (the event as JSON) in its environment, in its own process group,
  killed with its children after ``timeout`` seconds (default 600);
* a *webhook* receives the event as a JSON POST signed with HMAC-SHA256 of the body under the hook's
  secret (``X-NbRegistry-Signature: sha256=<hex>``), as GitHub signs its webhooks.

Each attempt is recorded in the registry (status ``running``, ``delivered``, ``failed`` or ``gave_up``,
attempts, exit code or HTTP status and output), shown on the model page. A failure is retried with
exponential backoff (``backoff`` seconds, default 10, doubled each time, up to ``max_attempts``, default
5). A worker killed in the middle of a delivery leaves a ``running`` record; once it is older than the
hook's ``stale_after`` (default: its timeout plus 30 s), the next worker delivers again. A hook only
sees events from after it was added (its ``since``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Mapping

from . import envinfo
from .artifacts import Artifacts
from .errors import InvalidSpecError, NotFoundError, RegistryError
from .names import check_alias
from .store.records import Delivery, Event

DEFAULT_TIMEOUT = 600
MAX_ATTEMPTS = 5
BACKOFF = 10.0  # seconds before the first retry; doubled each time
OUTPUT_TAIL = 20_000


def config_path() -> str:
    folder = os.environ.get("NB_REGISTRY_CONFIG") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "nb_registry")
    return os.path.join(folder, "automations.json")


def load_hooks(path: str | None = None) -> list[dict[str, Any]]:
    """The hooks of the user's configuration (checked: a bad entry is an error naming it)."""
    path = path or config_path()
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return []
    except ValueError as e:
        raise InvalidSpecError(f"automation configuration {path} is not valid JSON: {e}") from None
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, list):
        raise InvalidSpecError(f"automation configuration {path} holds no 'hooks' list")
    for i, hook in enumerate(hooks):
        _check_hook(hook, f"{path}: hook {i}")
    return hooks


def _check_hook(hook: Any, where: str) -> None:
    if not isinstance(hook, dict) or not isinstance(hook.get("name"), str) or not hook["name"].strip():
        raise InvalidSpecError(f"{where} needs a 'name'")
    if ("command" in hook) == ("webhook" in hook):
        raise InvalidSpecError(f"{where} ({hook['name']}) needs exactly one of 'command' and 'webhook'")
    if "command" in hook and not (isinstance(hook["command"], str) and hook["command"].strip()
                                  or isinstance(hook["command"], list) and hook["command"]):
        raise InvalidSpecError(f"{where} ({hook['name']}) has an empty command")
    if "webhook" in hook and not str(hook["webhook"]).startswith(("http://", "https://")):
        raise InvalidSpecError(f"{where} ({hook['name']}): a webhook is an http(s) URL, not {hook['webhook']!r}")
    events = hook.get("events", ["alias"])
    if not isinstance(events, list) or any(e not in ("alias", "link") for e in events):
        raise InvalidSpecError(f"{where} ({hook['name']}): events are 'alias' and/or 'link', not {events!r}")


def save_hook(hook: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """Add (or replace, by name) a hook in the user's configuration, written atomically."""
    path = path or config_path()
    hooks = [h for h in load_hooks(path) if h["name"] != hook["name"]]
    hook = {**hook, "since": hook.get("since") or envinfo.now()}
    _check_hook(hook, f"{path}: hook {hook.get('name')!r}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"hooks": [*hooks, hook]}, f, indent=2)
    os.chmod(tmp, 0o600)  # it may hold a webhook secret
    os.replace(tmp, path)
    return hook


def add_command_hook(reg: Artifacts, model: str, alias: str, command: "str | list[str]", name: str | None = None) -> dict[str, Any]:
    """A command to run when ``alias`` of ``model`` moves, kept in your own configuration (never in the registry)."""
    check_alias(alias)
    if alias == "latest":
        raise InvalidSpecError("an automation cannot watch 'latest': it is not moved by hand (it always names the "
                               "newest linked version), and automations fire when an alias is moved; "
                               "watch a stage alias such as 'staging' or 'production'")
    if not command or (isinstance(command, str) and not command.strip()):
        raise InvalidSpecError("an automation needs a non-empty command")
    reg.meta.get_model(model)  # NotFoundError naming the models there are
    return save_hook({"name": name or f"{model}-{alias}", "model": model, "alias": alias, "command": command})


def hooks_for(model: str) -> list[dict[str, Any]]:
    try:
        hooks = load_hooks()
    except RegistryError:
        return []
    return [h for h in hooks if h.get("model", "*") in ("*", model)]


def all_events(meta: Any, page: int = 1000) -> list[Event]:
    """Every event of the registry's outbox, page by page (a store answers at most ``limit`` at a time)."""
    out: list[Event] = []
    after = 0
    while True:
        batch = meta.events(after=after, limit=page)
        out.extend(batch)
        if len(batch) < page:
            return out
        after = batch[-1].id


def _matches(hook: Mapping[str, Any], event: Event) -> bool:
    if hook.get("model", "*") not in ("*", event.model) or event.kind not in hook.get("events", ["alias"]):
        return False
    if event.kind == "alias" and hook.get("alias", "*") not in ("*", event.alias):
        return False
    if event.kind == "alias" and event.to_version is None and not hook.get("on_remove", False):
        return False  # removals are delivered only to hooks that ask for them
    return envinfo.parse_time(event.at) >= envinfo.parse_time(hook.get("since") or "1970-01-01T00:00:00+00:00")


class Worker:
    """Delivers events of one registry to the hooks of one user's configuration. See the module docstring."""

    def __init__(self, reg: Artifacts, hooks: list[dict[str, Any]] | None = None, config: str | None = None) -> None:
        self.reg = reg
        self._hooks, self._config = hooks, config
        self.name = f"{envinfo.user()}@{envinfo.host()}:{os.getpid()}"
        self._stop = threading.Event()

    def hooks(self) -> list[dict[str, Any]]:
        return self._hooks if self._hooks is not None else load_hooks(self._config)

    def due(self, now: float | None = None) -> list[tuple[Event, dict[str, Any], int]]:
        """(event, hook, attempt number) of every delivery to make now."""
        now = time.time() if now is None else now
        hooks = self.hooks()
        if not hooks:
            return []
        done = {(d.event, d.hook): d for d in self.reg.meta.deliveries()}
        out = []
        for event in all_events(self.reg.meta):
            for hook in hooks:
                if not _matches(hook, event):
                    continue
                last = done.get((event.id, hook["name"]))
                if last is None:
                    out.append((event, hook, 1))
                    continue
                age = now - envinfo.parse_time(last.at).timestamp()
                if last.status == "failed" and age >= float(hook.get("backoff", BACKOFF)) * 2 ** (last.attempts - 1):
                    out.append((event, hook, last.attempts + 1))
                elif last.status == "running" and age > float(hook.get("stale_after", float(hook.get("timeout", DEFAULT_TIMEOUT)) + 30)):
                    out.append((event, hook, last.attempts + 1))  # its worker died mid-delivery
        return out

    def run_once(self) -> int:
        """Make every delivery that is due; return how many were made."""
        made = 0
        for event, hook, attempt in self.due():
            self._record(event, hook, "running", attempt, "")
            try:
                ok, detail = self._deliver(event, hook)
            except Exception as e:  # noqa: BLE001 - any failure of one delivery is recorded, the worker goes on
                ok, detail = False, f"{type(e).__name__}: {e}"
            status = "delivered" if ok else ("gave_up" if attempt >= int(hook.get("max_attempts", MAX_ATTEMPTS)) else "failed")
            self._record(event, hook, status, attempt, detail)
            made += 1
        return made

    def serve(self, poll: float = 2.0, until: Callable[[], bool] | None = None,
              on_error: Callable[[RegistryError], Any] | None = None) -> None:
        """Deliver until stopped (:meth:`stop`, Ctrl-C, or ``until()`` true), looking for new events every ``poll`` s.
        A round that fails (a registry briefly unreachable, a bad configuration) is passed to ``on_error``, if given,
        and the next round retries."""
        while not self._stop.is_set() and not (until and until()):
            try:
                self.run_once()
            except RegistryError as e:
                if on_error is not None:
                    on_error(e)
            self._stop.wait(poll)

    def stop(self) -> None:
        self._stop.set()

    def _record(self, event: Event, hook: Mapping[str, Any], status: str, attempt: int, detail: str) -> None:
        self.reg.meta.record_delivery(Delivery(event.id, hook["name"], status, attempt, envinfo.now(),
                                               detail[-OUTPUT_TAIL:], self.name, event.model))

    def _deliver(self, event: Event, hook: Mapping[str, Any]) -> tuple[bool, str]:
        if "webhook" in hook:
            return self._post(event, hook)
        return self._command(event, hook)

    def _post(self, event: Event, hook: Mapping[str, Any]) -> tuple[bool, str]:
        body = json.dumps({"event": event.to_dict(), "registry": self.reg.url}, sort_keys=True).encode()
        secret = hook.get("secret") or os.environ.get(str(hook.get("secret_env") or ""), "")
        headers = {"Content-Type": "application/json", "User-Agent": "nb-registry-automations",
                   "X-NbRegistry-Event": event.kind, "X-NbRegistry-Delivery": f"{event.id}-{hook['name']}"}
        if secret:
            headers["X-NbRegistry-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(str(hook["webhook"]), data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=float(hook.get("timeout", 30))) as resp:  # noqa: S310 - the user's own URL
                return 200 <= resp.status < 300, f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            return False, f"HTTP {e.code}: {e.read()[:500].decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as e:
            return False, f"could not reach {hook['webhook']}: {getattr(e, 'reason', e)}"

    def _command(self, event: Event, hook: Mapping[str, Any]) -> tuple[bool, str]:
        env = dict(os.environ, NB_REGISTRY_MODEL=event.model, NB_REGISTRY_ALIAS=event.alias or "",
                   NB_REGISTRY_VERSION=f"v{event.to_version}" if event.to_version is not None else "",
                   NB_REGISTRY_ARTIFACT=event.artifact or "", NB_REGISTRY_ROOT=self.reg.url,
                   NB_REGISTRY_EVENT=json.dumps(event.to_dict()))
        if event.artifact:
            try:
                env["NB_REGISTRY_PATH"] = self.reg.artifact(event.artifact).download()
            except (RegistryError, NotFoundError) as e:
                return False, f"could not download {event.artifact}: {e}"
        command = hook["command"]
        timeout = float(hook.get("timeout", DEFAULT_TIMEOUT))
        proc = subprocess.Popen(command, shell=isinstance(command, str), env=env, stdout=subprocess.PIPE,  # noqa: S602 - the user's own configuration
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
                                start_new_session=hasattr(os, "killpg"))
        try:
            out, _ = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL) if hasattr(os, "killpg") else proc.kill()
            out, _ = proc.communicate()
            return False, f"exit -1: {out}\n[nb_registry: timed out after {timeout:g} s; killed with its children]"
        return code == 0, f"exit {code}: {out}"
