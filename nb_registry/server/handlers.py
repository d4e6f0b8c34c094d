"""REST handlers: thin, authenticated, JSON in and out. Errors map to HTTP in one place (``_errors``).

Every handler calls the Python API (``Api``) and a view from :mod:`nb_registry.views`; none holds
registry logic. The route table is :func:`setup_handlers`; ``openapi.yaml`` beside this file
documents it for other tools.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any, Awaitable, Callable

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .. import __version__
from ..errors import (AlreadyExistsError, CorruptMetadataError, IntegrityError, LockTimeoutError, NotFoundError,
                      RegistryError, StorageError)
from ..names import check_name
from ..store.storage_errors import translate
from ..views import model_summary, model_view, to_json, version_view

STATUS = [(StorageError, 502), (NotFoundError, 404), (AlreadyExistsError, 409), (IntegrityError, 409), (LockTimeoutError, 503),
          (CorruptMetadataError, 500), (RegistryError, 400), (ValueError, 400), (TypeError, 400), (KeyError, 400)]


class BadRequest(ValueError):
    """Malformed input that the API never saw (a body that is not a JSON object, a bad number)."""


def _errors(method: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    """The one place where errors become HTTP statuses with a JSON ``{"error", "status"}`` body."""

    @functools.wraps(method)
    async def wrapper(self: "Base", *args: Any) -> None:
        try:
            result = method(self, *args)
            if hasattr(result, "__await__"):
                await result
        except Exception as e:  # noqa: BLE001 - mapped, and anything unmapped is re-raised as a 500
            e = translate(e, _remote(self)) or e  # a storage back end's failure (no credentials ...): StorageError
            status = next((code for kind, code in STATUS if isinstance(e, kind)), None)
            if status is None:
                raise
            self.set_status(status)
            self.finish(json.dumps({"error": str(e) if not isinstance(e, KeyError) else f"missing field {e}", "status": status}))

    return wrapper


def _remote(handler: "Base") -> str | None:
    """The served registry's root when it is a URL (what a storage error names)."""
    url = str(getattr(handler.settings.get("nb_registry_api"), "registry", None) and handler.api.registry.url or "")
    return url if "://" in url else None


class Base(APIHandler):
    @property
    def api(self) -> Any:
        return self.settings["nb_registry_api"]

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
        self.set_status(status)
        self.finish(to_json(data))


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
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        self.send({"root": self.api.registry.url, "version": __version__,
                   "generation": self.api.generation()})


class Models(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        models = self.api.registered_models(self.get_query_argument("tag", None) or None,
                                            self.get_query_argument("search", None) or None)
        self.send({"models": [model_summary(m) for m in models]})

    @tornado.web.authenticated
    @_errors
    def post(self) -> None:
        b = self.body()
        desc, card = b.get("description"), b.get("model_card")
        rm = self.api.create_registered_model(_text(b.get("name"), "name"),
                                              None if desc is None else _text(desc, "description"),
                                              None if card is None else _text(card, "model_card"),
                                              _strings(b.get("tags"), "tags"))
        self.send(model_view(rm), 201)


class Model(Base):
    @tornado.web.authenticated
    @_errors
    def get(self, name: str) -> None:
        self.send(model_view(self.api.registered_model(name)))

    @tornado.web.authenticated
    @_errors
    def patch(self, name: str) -> None:
        b = self.body()
        rm = self.api.registered_model(name)
        rm.update(description=None if b.get("description") is None else _text(b["description"], "description"),
                  model_card=None if b.get("model_card") is None else _text(b["model_card"], "model_card"),
                  tags=None if b.get("tags") is None else _strings(b["tags"], "tags"))
        self.send(model_view(rm))


class ModelAlias(Base):
    @tornado.web.authenticated
    @_errors
    def put(self, name: str, alias: str) -> None:
        version = self.body().get("version")
        if not isinstance(version, (str, int)) or isinstance(version, bool):
            raise BadRequest('give the version as {"version": "v1"}, a number, or an artifact spec')
        self.send(model_view(self.api.registered_model(name).set_alias(alias, version)))

    @tornado.web.authenticated
    @_errors
    def delete(self, name: str, alias: str) -> None:
        self.send(model_view(self.api.registered_model(name).remove_alias(alias)))


class ModelLinks(Base):
    @tornado.web.authenticated
    @_errors
    def post(self, name: str) -> None:
        b = self.body()
        linked = self.api.link(_text(b.get("artifact"), "artifact"), name, _strings(b.get("aliases"), "aliases"))
        self.send({"linked_as": linked.linked_as, "artifact": linked.id}, 201)


class Collections(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        self.send({"collections": self.api.artifact_collections(self.get_query_argument("project", None) or None,
                                                                self.get_query_argument("type", None) or None)})


class Versions(Base):
    @tornado.web.authenticated
    @_errors
    def get(self, project: str, name: str) -> None:
        limit, offset = self.int_arg("limit", 50), self.int_arg("offset", 0) or 0
        order = self.get_query_argument("order", None) or "-version"
        versions = self.api.registry.versions(_spec(project, name), order=order)
        page = versions[offset: offset + limit] if limit is not None else versions[offset:]
        self.send({"versions": [version_view(v) for v in page], "total": len(versions)})


class Version(Base):
    @tornado.web.authenticated
    @_errors
    def get(self, project: str, name: str, version: str) -> None:
        self.send(version_view(self.api.registry.artifact(_spec(project, name, version)), entries=True))


class ArtifactAlias(Base):
    @tornado.web.authenticated
    @_errors
    def put(self, project: str, name: str, alias: str) -> None:
        version = _text(self.body().get("version"), "version")
        self.send(version_view(self.api.registry.set_alias(_spec(project, name, version), alias)))

    @tornado.web.authenticated
    @_errors
    def delete(self, project: str, name: str, alias: str) -> None:
        self.api.registry.remove_alias(_spec(project, name), alias)
        self.send({"removed": alias})


class Runs(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
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
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        self.send({"projects": self.api.projects()})


class RunHandler(Base):
    @tornado.web.authenticated
    @_errors
    def get(self, project: str, run_id: str) -> None:
        self.send(self.api.run(f"{project}/{run_id}").info)


class Lineage(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        spec = _text(self.get_query_argument("spec", None), "spec")
        self.send(self.api.lineage(spec, self.get_query_argument("direction", "up"), self.int_arg("depth", None)))


class Diff(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        self.send(self.api.diff(_text(self.get_query_argument("a", None), "a"), _text(self.get_query_argument("b", None), "b")))


class Find(Base):
    @tornado.web.authenticated
    @_errors
    def get(self) -> None:
        digest = _text(self.get_query_argument("digest", None), "digest")
        if not DIGEST.match(digest):  # never a path: the server would hash its own files for the caller
            raise BadRequest(f"find takes a content digest (64 lowercase hex digits), not {digest[:80]!r}")
        self.send({"results": [{"artifact": a.id, "entry": e} for a, e in self.api.find_by_content(digest)]})


class OpenAPI(Base):
    @tornado.web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/yaml")
        with open(os.path.join(os.path.dirname(__file__), "openapi.yaml"), encoding="utf-8") as f:
            self.finish(f.read())


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
