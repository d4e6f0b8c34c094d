"""Names, aliases and specs: what is allowed, and how ``project/name:alias`` is read. Pure, no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .errors import InvalidNameError, InvalidSpecError, UnsafePathError

NAME_RULE = "1-128 characters: letters, digits, '.', '_' and '-', starting with a letter or digit"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_VERSION = re.compile(r"^v(\d+)$")
REGISTRY_PROJECT = "model-registry"
REGISTRY_PREFIX = "wandb-registry-"  # W&B's newer Registry: ``wandb-registry-model/NAME:alias`` names a registered model
MLFLOW_SCHEME = "models:/"  # MLflow's model URIs: models:/NAME@ALIAS, models:/NAME/VERSION, models:/NAME/latest
DEFAULT_PROJECT = "uncategorized"
MODEL_NAME_RULE = ("1-128 characters, any but '/', ':' and control characters, not starting or ending with a space "
                   "(as W&B allows: 'My Registered Model')")
_MODEL_NAME_BAD = re.compile(r"[/:\x00-\x1f\x7f]")


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a valid collection, project, alias or tag name, else raise."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidNameError(f"invalid {what} {value!r}: names are {NAME_RULE}")
    return value


def check_model_name(value: str, what: str = "registered model name") -> str:
    """Return ``value`` if it is a valid registered-model name (W&B's wider rule, :data:`MODEL_NAME_RULE`), else
    raise. Stores keep such a name under a safe key; collection, project, alias and tag names stay strict."""
    if (not isinstance(value, str) or not value or len(value) > 128 or value != value.strip()
            or _MODEL_NAME_BAD.search(value)):
        raise InvalidNameError(f"invalid {what} {value!r}: registered model names are {MODEL_NAME_RULE}")
    check_text(value, what)
    return value


def check_alias(alias: str) -> str:
    """Validate a user alias: a name that is not a version tag such as ``v3``."""
    check_name(alias, "alias")
    if _VERSION.match(alias):
        raise InvalidNameError(f"invalid alias {alias!r}: 'v<number>' is reserved for version numbers")
    return alias


def check_movable_alias(alias: str) -> str:
    """An alias a user may set or remove: a valid alias other than ``latest`` (which the registry keeps)."""
    check_alias(alias)
    if alias == "latest":
        raise InvalidNameError("'latest' always names the newest version; it cannot be set or removed by hand")
    return alias


def version_number(text: str) -> int | None:
    """``'v3'`` -> 3; anything else -> None."""
    m = _VERSION.match(text)
    return int(m.group(1)) if m else None


SPEC_FORMS = ("[project/]name[:alias|:vN], model-registry/NAME[:alias|:vN], models:/NAME@ALIAS or "
              "models:/NAME/VERSION")


@dataclass(frozen=True)
class Spec:
    """A parsed ``[project/]name[:alias|:vN]``. ``selector`` is an alias or ``vN``.

    ``explicit`` says whether the text named its project (``project/name``, a registry form, an MLflow URI): a
    bare ``name:alias`` may then be looked for elsewhere (a registered model, the one project that has it).
    A name that cannot be a collection but can be a registered model (``My Model:production``) is read as one."""

    project: str
    name: str
    selector: str = "latest"
    explicit: bool = True

    @classmethod
    def parse(cls, text: str, default_project: str = DEFAULT_PROJECT) -> "Spec":
        if not isinstance(text, str) or not text.strip():
            raise InvalidSpecError(f"empty artifact spec {text!r}; expected {SPEC_FORMS}")
        text = text.strip()
        if text.startswith(MLFLOW_SCHEME):
            return cls._parse_mlflow(text)
        body, _, selector = text.partition(":")
        parts = body.split("/")
        if len(parts) == 1:
            project, name = default_project, parts[0]
        elif len(parts) == 2:
            project, name = parts
        elif len(parts) == 3:  # entity/project/name, as W&B writes it: the entity is ignored
            project, name = parts[1], parts[2]
        else:
            raise InvalidSpecError(f"bad artifact spec {text!r}; expected {SPEC_FORMS}")
        explicit = len(parts) > 1
        if project.startswith(REGISTRY_PREFIX):
            project = REGISTRY_PROJECT
        selector = selector or "latest"
        try:
            check_name(project, "project")
            check_name(selector, "alias")
            if project == REGISTRY_PROJECT:
                check_model_name(name)
            elif not _NAME.match(name) and not explicit and _model_name(name):
                project, explicit = REGISTRY_PROJECT, True  # 'My Model:prod' can only be a registered model
            else:
                check_name(name, "name")
        except InvalidNameError as e:
            raise InvalidSpecError(f"bad artifact spec {text!r}: {e}") from None
        return cls(project, name, selector, explicit)

    @classmethod
    def _parse_mlflow(cls, text: str) -> "Spec":
        """``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` (MLflow counts from 1: version 1 is ``v0``) and
        ``models:/NAME/latest``."""
        body = text[len(MLFLOW_SCHEME):]
        if "@" in body:
            name, _, selector = body.rpartition("@")
        else:
            name, _, last = body.rpartition("/")
            if not name:
                raise InvalidSpecError(f"bad model URI {text!r}; expected models:/NAME@ALIAS or models:/NAME/VERSION")
            selector = f"v{int(last) - 1}" if last.isdigit() and int(last) >= 1 else last
            if last.isdigit() and int(last) < 1:
                raise InvalidSpecError(f"bad model URI {text!r}: MLflow versions count from 1")
        try:
            check_model_name(name)
            check_name(selector, "alias")
        except InvalidNameError as e:
            raise InvalidSpecError(f"bad model URI {text!r}: {e}") from None
        return cls(REGISTRY_PROJECT, name, selector, True)

    @property
    def is_registry(self) -> bool:
        return self.project == REGISTRY_PROJECT

    def __str__(self) -> str:
        return f"{self.project}/{self.name}:{self.selector}"


def _model_name(name: str) -> bool:
    try:
        check_model_name(name)
        return True
    except InvalidNameError:
        return False


def version_id(project: str, name: str, version: int) -> str:
    """The stable id of an artifact version: ``project/name:vN``."""
    return f"{project}/{name}:v{version}"


def split_version_id(vid: str) -> tuple[str, str, int]:
    spec = Spec.parse(vid)
    n = version_number(spec.selector)
    if n is None:
        raise InvalidSpecError(f"{vid!r} is not a version id (project/name:vN)")
    return spec.project, spec.name, n


# A file name (one path component) has at most 255 bytes on every filesystem in use (ext4, XFS, btrfs, APFS,
# NTFS). A whole path passed to the kernel has at most PATH_MAX = 4096 bytes on Linux: an entry name of at most
# 1024 bytes leaves 3 KiB for the folder it is downloaded into (the default, <root>/cache/artifacts/<project>/
# <name>/<vN>, is the root plus at most 290 bytes). Longer names could be logged but never downloaded.
MAX_COMPONENT_BYTES = 255
MAX_ENTRY_BYTES = 1024


def check_text(value: str, what: str, error: type[Exception] = InvalidNameError) -> str:
    """Refuse text that cannot be stored: a lone surrogate (what Python makes of a byte that is not UTF-8 in a
    file name, e.g. ``'\\udcff'``) cannot be written as UTF-8. ``what`` names the text in the error."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise error(f"{what} is not valid text: it holds {value[e.start:e.end]!r}, which is what Python makes of a "
                    "byte that is not UTF-8 (from a file name, typically); rename it, or give it as valid Unicode") from None
    return value


def safe_entry_name(name: str) -> str:
    """Normalise an entry name to a relative POSIX path; refuse anything that could escape a folder, that is not
    valid text, or that is too long to be a file name (:data:`MAX_COMPONENT_BYTES`, :data:`MAX_ENTRY_BYTES`)."""
    if (isinstance(name, str) and name.isascii() and 0 < len(name) <= MAX_ENTRY_BYTES and "\\" not in name
            and "\x00" not in name and not name.startswith("/") and name[1:2] != ":"
            and all(0 < len(p) <= MAX_COMPONENT_BYTES and p != "." and p != ".." for p in name.split("/"))):
        return name  # already a plain relative path (a folder of 50,000 files asks 50,000 times): as below returns it
    if not isinstance(name, str) or not name or "\x00" in name:
        raise UnsafePathError(f"invalid entry name {name!r}")
    check_text(name, f"entry name {name!r}")
    norm = name.replace("\\", "/")
    p = PurePosixPath(norm)
    if p.is_absolute() or norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise UnsafePathError(f"entry name {name!r} is absolute; entry names are relative paths")
    parts = [x for x in p.parts if x not in ("", ".")]
    if any(x == ".." for x in parts):
        raise UnsafePathError(f"entry name {name!r} would escape the artifact folder ('..' is not allowed)")
    if not parts:
        raise UnsafePathError(f"entry name {name!r} names no file; give a file name such as 'model.bin'")
    long = next((x for x in parts if len(x.encode()) > MAX_COMPONENT_BYTES), None)
    if long is not None:
        raise InvalidNameError(f"entry name {_short(name)} has a part of {len(long.encode())} bytes ({_short(long)}); "
                               f"file and folder names have at most {MAX_COMPONENT_BYTES} bytes: give a shorter name")
    out = "/".join(parts)
    if len(out.encode()) > MAX_ENTRY_BYTES:
        raise InvalidNameError(f"entry name {_short(name)} is {len(out.encode())} bytes long ({len(parts)} folders deep); "
                               f"entry names have at most {MAX_ENTRY_BYTES} bytes, so that every download path stays "
                               "within the system's limit: give a shorter name")
    return out


def _short(text: str, n: int = 60) -> str:
    return repr(text) if len(text) <= n else repr(text[:n]) + f"... ({len(text)} characters)"


# -- metadata ----------------------------------------------------------------------------------
MAX_METADATA_DEPTH = 100  # levels of nested dicts and lists; far more than any real record, far less than
# Python's recursion limit (the JSON encoder and the metadata store recurse once per level)


def check_metadata(metadata: Any, what: str = "metadata") -> dict[str, Any]:
    """Metadata must be a JSON object of valid text, at most :data:`MAX_METADATA_DEPTH` levels deep;
    say which key is wrong."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidSpecError(f"{what} must be a dict, not {type(metadata).__name__}")
    for key in metadata:
        if not isinstance(key, str):
            raise InvalidSpecError(f"{what} keys must be strings; {key!r} is {type(key).__name__}")
    _check_tree(metadata, what)
    for key, value in metadata.items():
        try:
            json.dumps(value, allow_nan=True)
        except (TypeError, ValueError) as e:
            raise InvalidSpecError(
                f"{what}[{key!r}] is not JSON-serialisable ({type(value).__name__}: {e}); "
                "store numbers, strings, lists and dicts, or convert it (e.g. float(x), x.tolist())"
            ) from None
    return json.loads(json.dumps(metadata))


def _check_tree(tree: dict[str, Any], what: str) -> None:
    """Depth and text of every key and string below ``tree``, walked without recursion."""
    stack: list[tuple[str, Any, int]] = [(what, tree, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth >= MAX_METADATA_DEPTH:
            where = where if len(where) <= 80 else where[:60] + "..."
            raise InvalidSpecError(f"{where} is nested more than {MAX_METADATA_DEPTH} levels deep (or contains itself); "
                                   "store flatter data, or put it in a file of the artifact")
        for k, v in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(k, str):
                check_text(k, f"the key {k!r} in {where}", InvalidSpecError)
            if isinstance(v, str):
                check_text(v, f"the text at {where}[{k!r}]", InvalidSpecError)
            elif isinstance(v, (dict, list, tuple)):
                stack.append((f"{where}[{k!r}]", v, depth + 1))
