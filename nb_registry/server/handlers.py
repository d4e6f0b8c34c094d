"""REST handlers: thin, authenticated, JSON in and out. Errors map to HTTP in one place (``Base._failure``).

Every handler calls the Python API (``Api``) and a view from :mod:`nb_registry.views`; none holds
registry logic. Handlers define ``do_get``, ``do_put`` ...; :class:`Base` runs them on a worker
thread (never on the event loop) after checking every path segment as a name. The route table is :func:`setup_handlers`; ``openapi.yaml`` beside this file
documents it for other tools.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import tornado.web
from tornado.ioloop import IOLoop
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .. import __version__
from ..errors import (AlreadyExistsError, CorruptMetadataError, IntegrityError, LockTimeoutError, NotFoundError,
                      RegistryError, StorageError)
from ..names import check_model_name, check_name
from ..store.storage_errors import translate
from ..views import model_summary, model_view, to_json, version_view

STATUS = [(StorageError, 502), (NotFoundError, 404), (AlreadyExistsError, 409), (IntegrityError, 409),
          (LockTimeoutError, 503), (CorruptMetadataError, 500), (RegistryError, 400), (ValueError, 400),
          (TypeError, 400), (KeyError, 400)]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Registry work blocks (a lock wait of up to LOCK_TIMEOUT, a large read), so it never runs on the server's
# event loop, which also carries every notebook's kernel traffic. Reads and writes get their own threads:
# writers queued on the registry lock never hold up a read.
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nb_registry-read")
_WRITES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nb_registry-write")
_SEGMENT_NAMES = {"project": "project", "name": "name", "alias": "alias", "version": "version or alias", "run_id": "run id"}


class BadRequest(ValueError):
    """Malformed input that the API never saw (a body that is not a JSON object, a bad number)."""


def _remote(handler: "Base") -> str | None:
    """The served registry's root when it is a URL (what a storage error names)."""
    url = str(getattr(handler.settings.get("nb_registry_api"), "registry", None) and handler.api.registry.url or "")
    return url if "://" in url else None


class Base(APIHandler):
    """Every endpoint: handlers define ``do_get``, ``do_put`` ... (plain functions that call the API and
    :meth:`send`); this class authenticates, checks each path segment as a name, runs them on a worker
    thread, and maps errors to HTTP in one place (:meth:`_failure`)."""

    @property
    def api(self) -> Any:
        return self.settings["nb_registry_api"]

    @tornado.web.authenticated
    async def get(self, *args: str) -> None:
        await self._serve(*args)

    @tornado.web.authenticated
    async def post(self, *args: str) -> None:
        await self._serve(*args)

    @tornado.web.authenticated
    async def put(self, *args: str) -> None:
        await self._serve(*args)

    @tornado.web.authenticated
    async def patch(self, *args: str) -> None:
        await self._serve(*args)

    @tornado.web.authenticated
    async def delete(self, *args: str) -> None:
        await self._serve(*args)

    async def _serve(self, *args: str) -> None:
        method = getattr(self, f"do_{self.request.method.lower()}", None)
        if method is None:
            raise tornado.web.HTTPError(405)
        self._response: tuple[int, str, str] | None = None
        try:
            self._check_segments(method, args)
            pool = _READS if self.request.method == "GET" else _WRITES
            await IOLoop.current().run_in_executor(pool, functools.partial(method, *args))
            status, body, ctype = self._response or (204, "", "application/json")
        except Exception as e:  # noqa: BLE001 - every error becomes a JSON answer without server paths
            status, body, ctype = self._failure(e)
        self.set_status(status)
        self.set_header("Content-Type", ctype)
        self.finish(body)

    @staticmethod
    def _check_segments(method: Callable[..., Any], args: tuple[str, ...]) -> None:
        """Each path segment is a name (no ``/``, ``..``, spaces or ``:``), whichever endpoint it is for."""
        params = list(inspect.signature(method).parameters)
        for param, value in zip(params, args):
            if param == "model":  # a registered model's name may hold spaces, as W&B's do
                check_model_name(value)
            else:
                check_name(value, _SEGMENT_NAMES.get(param, param))

    def _failure(self, e: Exception) -> tuple[int, str, str]:
        if isinstance(e, tornado.web.HTTPError):  # e.g. a required query argument missing
            message = self._without_paths(e.log_message % e.args if e.log_message and e.args else e.log_message or "")
            return e.status_code, json.dumps({"error": message or e.reason or "", "status": e.status_code}), "application/json"
        storage = translate(e, _remote(self))  # a storage back end's failure (no credentials ...): a 502
        if storage is not None and storage is not e:
            storage.__cause__, e = e, storage  # the server log keeps the back end's own exception
        status = next((code for kind, code in STATUS if isinstance(e, kind)), None)
        if status is None or status >= 500:
            self.log.error("nb_registry: %s %s failed", self.request.method, self.request.path, exc_info=e)
        if status is None:
            message = (f"internal error ({type(e).__name__}) while answering {self.request.method} "
                       f"{self.request.path}; the server log has the details")
            status = 500
        elif isinstance(e, KeyError):
            message = f"missing field {e}"
        else:
            message = self._without_paths(str(e))
        return status, json.dumps({"error": message, "status": status}), "application/json"

    def _without_paths(self, message: str) -> str:
        """An error message with every path on the server left out: the registry's own are named from its
        root (``<registry>/meta/...``), anything else becomes ``<path>``."""
        reg = self.api.registry
        for prefix, shown in ((reg.store.cache_dir, "<cache>"), (reg.url, "<registry>")):
            if prefix and prefix.startswith("/"):
                message = message.replace(os.path.abspath(prefix), shown)
        return _PATH.sub("<path>", message)

    def model(self, rm: Any) -> dict[str, Any]:
        """The model page (:func:`model_view`), with whether this server runs an automation worker and what is
        wrong with the server owner's automation configuration, if anything."""
        from ..automations import load_hooks

        out = model_view(rm)
        worker = self.settings.get("nb_registry_worker")
        out["automation_worker"] = {"name": worker.name, "running": worker.running} if worker else None
        try:
            load_hooks()
            out["automations_error"] = None
        except RegistryError as e:
            out["automations_error"] = self._without_paths(str(e))
        return out

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadRequest("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        return data

    def int_arg(self, name: str, default: int | None) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
        if value < 0:
            raise BadRequest(f"{name} must not be negative")
        return value

    def send(self, data: Any, status: int = 200) -> None:
        """The answer (sent by the event loop once the worker thread returns)."""
        self._response = (status, to_json(data), "application/json")


# an absolute path: "/" after a start, a space, a quote or "(" (so URLs such as s3://b/k are left alone)
_PATH = re.compile(r"""(?:^|(?<=[\s'"(=]))/[^\s'"]+""")


def _spec(project: str, name: str, selector: str | None = None) -> str:
    """``project/name[:selector]`` from path segments, each checked (a segment holding ``:`` or spaces is a 400)."""
    check_name(project, "project")
    check_name(name, "artifact name")
    return f"{project}/{name}" if selector is None else f"{project}/{name}:{check_name(selector, 'version or alias')}"


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string")
    return value


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise BadRequest(f"{what} must be a list of strings")
    return value


class Status(Base):
    def do_get(self) -> None:
        self.send({"root": self.api.registry.url, "version": __version__,
                   "generation": self.api.generation()})


class Models(Base):
    def do_get(self) -> None:
        models = self.api.registered_models(self.get_query_argument("tag", None) or None,
                                            self.get_query_argument("search", None) or None)
        self.send({"models": [model_summary(m) for m in models]})

    def do_post(self) -> None:
        b = self.body()
        desc, card = b.get("description"), b.get("model_card")
        rm = self.api.create_registered_model(_text(b.get("name"), "name"),
                                              None if desc is None else _text(desc, "description"),
                                              None if card is None else _text(card, "model_card"),
                                              _strings(b.get("tags"), "tags"))
        self.send(self.model(rm), 201)


class Model(Base):
    def do_get(self, model: str) -> None:
        self.send(self.model(self.api.registered_model(model)))

    def do_patch(self, model: str) -> None:
        b = self.body()
        rm = self.api.registered_model(model)
        rm.update(description=None if b.get("description") is None else _text(b["description"], "description"),
                  model_card=None if b.get("model_card") is None else _text(b["model_card"], "model_card"),
                  tags=None if b.get("tags") is None else _strings(b["tags"], "tags"))
        self.send(self.model(rm))


class ModelAlias(Base):
    def do_put(self, model: str, alias: str) -> None:
        version = self.body().get("version")
        if not isinstance(version, (str, int)) or isinstance(version, bool):
            raise BadRequest('give the version as {"version": "v1"}, a number, or an artifact spec')
        self.send(self.model(self.api.registered_model(model).set_alias(alias, version)))

    def do_delete(self, model: str, alias: str) -> None:
        self.send(self.model(self.api.registered_model(model).remove_alias(alias)))


class ModelLinks(Base):
    def do_post(self, model: str) -> None:
        b = self.body()
        linked = self.api.link(_text(b.get("artifact"), "artifact"), model, _strings(b.get("aliases"), "aliases"))
        self.send({"linked_as": linked.linked_as, "artifact": linked.id}, 201)


class Collections(Base):
    def do_get(self) -> None:
        self.send({"collections": self.api.artifact_collections(self.get_query_argument("project", None) or None,
                                                                self.get_query_argument("type", None) or None)})


class Versions(Base):
    def do_get(self, project: str, name: str) -> None:
        limit, offset = self.int_arg("limit", 50), self.int_arg("offset", 0) or 0
        order = self.get_query_argument("order", None) or "-version"
        versions = self.api.registry.versions(_spec(project, name), order=order)
        page = versions[offset: offset + limit] if limit is not None else versions[offset:]
        self.send({"versions": [version_view(v) for v in page], "total": len(versions)})


class Version(Base):
    def do_get(self, project: str, name: str, version: str) -> None:
        self.send(version_view(self.api.registry.artifact(_spec(project, name, version)), entries=True))


class ArtifactAlias(Base):
    def do_put(self, project: str, name: str, alias: str) -> None:
        version = _text(self.body().get("version"), "version")
        self.send(version_view(self.api.registry.set_alias(_spec(project, name, version), alias)))

    def do_delete(self, project: str, name: str, alias: str) -> None:
        self.api.registry.remove_alias(_spec(project, name), alias)
        self.send({"removed": alias})


class Runs(Base):
    def do_get(self) -> None:
        raw = self.get_query_argument("filters", None)
        try:
            filters = json.loads(raw) if raw else None
        except ValueError:
            raise BadRequest("filters must be a JSON object, e.g. {\"config.lr\": {\"$lt\": 0.01}}") from None
        limit = self.int_arg("limit", None)
        table = self.api.runs(self.get_query_argument("project", None) or None, filters,
                              self.get_query_argument("order", None) or None)
        rows = table.to_records()
        self.send({"columns": table.columns, "rows": rows if limit is None else rows[:limit], "total": len(rows)})


class Projects(Base):
    def do_get(self) -> None:
        self.send({"projects": self.api.projects()})


class RunHandler(Base):
    def do_get(self, project: str, run_id: str) -> None:
        self.send(self.api.run(f"{project}/{run_id}").info)


class Lineage(Base):
    def do_get(self) -> None:
        spec = _text(self.get_query_argument("spec", None), "spec")
        self.send(self.api.lineage(spec, self.get_query_argument("direction", "up"), self.int_arg("depth", None)))


class Diff(Base):
    def do_get(self) -> None:
        self.send(self.api.diff(_text(self.get_query_argument("a", None), "a"), _text(self.get_query_argument("b", None), "b")))


class Find(Base):
    def do_get(self) -> None:
        digest = _text(self.get_query_argument("digest", None), "digest")
        if not DIGEST.match(digest):  # never a path: the server would hash its own files for the caller
            raise BadRequest(f"find takes a content digest (64 lowercase hex digits), not {digest[:80]!r}")
        self.send({"results": [{"artifact": a.id, "entry": e} for a, e in self.api.find_by_content(digest)]})


class OpenAPI(Base):
    def do_get(self) -> None:
        with open(os.path.join(os.path.dirname(__file__), "openapi.yaml"), encoding="utf-8") as f:
            self._response = (200, f.read(), "application/yaml")


DIGEST = re.compile(r"^[0-9a-f]{64}$")
SEG = r"([^/]+)"
ROUTES = [
    ("status", Status), ("openapi.yaml", OpenAPI),
    ("models", Models), (f"models/{SEG}", Model), (f"models/{SEG}/aliases/{SEG}", ModelAlias),
    (f"models/{SEG}/links", ModelLinks),
    ("artifacts", Collections), (f"artifacts/{SEG}/{SEG}/versions", Versions),
    (f"artifacts/{SEG}/{SEG}/versions/{SEG}", Version), (f"artifacts/{SEG}/{SEG}/aliases/{SEG}", ArtifactAlias),
    ("runs", Runs), (f"runs/{SEG}/{SEG}", RunHandler), ("projects", Projects), ("lineage", Lineage), ("diff", Diff), ("find", Find),
]


def setup_handlers(web_app: Any) -> None:
    base = url_path_join(web_app.settings["base_url"], "nb-registry", "api")
    web_app.add_handlers(".*$", [(url_path_join(base, path) + "/?$", handler) for path, handler in ROUTES])
