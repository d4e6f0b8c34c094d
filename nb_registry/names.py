"""Names, aliases and specs: what is allowed, and how ``project/name:alias`` is read. Pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import InvalidNameError, InvalidSpecError, UnsafePathError

NAME_RULE = "1-128 characters: letters, digits, '.', '_' and '-', starting with a letter or digit"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_VERSION = re.compile(r"^v(\d+)$")
REGISTRY_PROJECT = "model-registry"
DEFAULT_PROJECT = "uncategorized"


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a valid collection, project, alias or tag name, else raise."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidNameError(f"invalid {what} {value!r}: names are {NAME_RULE}")
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


@dataclass(frozen=True)
class Spec:
    """A parsed ``[project/]name[:alias|:vN]``. ``selector`` is an alias or ``vN``."""

    project: str
    name: str
    selector: str = "latest"

    @classmethod
    def parse(cls, text: str, default_project: str = DEFAULT_PROJECT) -> "Spec":
        if not isinstance(text, str) or not text.strip():
            raise InvalidSpecError(f"empty artifact spec {text!r}; expected [project/]name[:alias|:vN]")
        body, _, selector = text.strip().partition(":")
        parts = body.split("/")
        if len(parts) == 1:
            project, name = default_project, parts[0]
        elif len(parts) == 2:
            project, name = parts
        elif len(parts) == 3:  # entity/project/name, as W&B writes it: the entity is ignored
            project, name = parts[1], parts[2]
        else:
            raise InvalidSpecError(f"bad artifact spec {text!r}; expected [project/]name[:alias|:vN]")
        selector = selector or "latest"
        try:
            check_name(project, "project")
            check_name(name, "name")
            check_name(selector, "alias")
        except InvalidNameError as e:
            raise InvalidSpecError(f"bad artifact spec {text!r}: {e}") from None
        return cls(project, name, selector)

    @property
    def is_registry(self) -> bool:
        return self.project == REGISTRY_PROJECT

    def __str__(self) -> str:
        return f"{self.project}/{self.name}:{self.selector}"


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


def check_text(value: str, what: str) -> str:
    """Refuse text that cannot be stored: a lone surrogate (what Python makes of a byte that is not UTF-8 in a
    file name, e.g. ``'\\udcff'``) cannot be written as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = value[e.start:e.end]
        raise InvalidNameError(f"{what} {value!r} is not valid text: it holds {bad!r}, which is what Python makes of a "
                               "byte that is not UTF-8 (in a file name, typically); rename it, or give the text as "
                               "valid Unicode") from None
    return value


def safe_entry_name(name: str) -> str:
    """Normalise an entry name to a relative POSIX path; refuse anything that could escape a folder, that is not
    valid text, or that is too long to be a file name (:data:`MAX_COMPONENT_BYTES`, :data:`MAX_ENTRY_BYTES`)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise UnsafePathError(f"invalid entry name {name!r}")
    check_text(name, "entry name")
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
