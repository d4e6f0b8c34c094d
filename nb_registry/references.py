"""References to content that stays where it is (any fsspec URL): record, re-check, fetch."""

from __future__ import annotations

import os
import urllib.parse
import uuid
import warnings
from typing import Any

import fsspec

from .errors import IntegrityError, InvalidSpecError, NotFoundError
from .store.hashing import hash_stream
from .store.storage_errors import storage_errors, translate


def _fs(uri: str) -> tuple[Any, str]:
    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except ImportError as e:
        raise InvalidSpecError(f"cannot open {uri}: {e}") from None
    except ValueError as e:
        raise InvalidSpecError(f"cannot open {uri}: {e}") from None
    if uri.startswith("file:") and "%" in path:  # a file URI is percent-encoded (RFC 8089; Path.as_uri() writes them)
        decoded = urllib.parse.unquote(path)
        if os.path.exists(decoded) or not os.path.exists(path):  # a reference recorded unencoded still resolves
            path = decoded
    return fs, path


def _protocol(fs: Any) -> str:
    p = fs.protocol
    return p[0] if isinstance(p, (tuple, list)) else str(p)


def _etag(info: dict[str, Any]) -> str | None:
    tag = info.get("ETag") or info.get("etag")
    version = info.get("VersionId") or info.get("generation")
    if tag:
        tag = str(tag).strip('"')
        return f"{tag}@{version}" if version else tag
    return None


def _checksum(fs: Any, path: str, info: dict[str, Any], checksum: bool) -> tuple[str, str]:
    """(digest, kind): an ETag where the backend has one, else the BLAKE3 of the content."""
    if not checksum:
        return "", "none"
    tag = _etag(info)
    if tag:
        return tag, "etag"
    with fs.open(path, "rb") as f:
        return hash_stream(f)[0], "blake3"


def _url(fs: Any, path: str) -> str:
    proto = _protocol(fs)
    if proto in ("file", "local"):
        return "file://" + urllib.parse.quote(path)  # decoded again by _fs
    if proto in ("http", "https"):
        return path
    return f"{proto}://{path.lstrip('/') if proto != 'memory' else path.lstrip('/')}"


def describe_reference(uri: str, checksum: bool = True, max_objects: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """[(name below the URL, entry record)] for a URL to one object or to a folder of them."""
    fs, path = _fs(uri)
    with storage_errors(uri, "read"):
        return _describe(uri, fs, path, checksum, max_objects)


def _describe(uri: str, fs: Any, path: str, checksum: bool, max_objects: int | None) -> list[tuple[str, dict[str, Any]]]:
    fs.invalidate_cache(path)  # fsspec instances are shared per process: never answer from an old listing
    try:
        info = fs.info(path)
    except FileNotFoundError as e:
        if translate(e, uri) is not None:  # a missing bucket, a refused connection (fsspec's http wraps it):
            raise  # the storage's failure, named by storage_errors, not a missing object
        raise NotFoundError(f"reference {uri} does not exist") from None
    if info.get("type") == "directory":
        found = fs.find(path, detail=True)
        if not found:
            raise NotFoundError(f"reference {uri} is an empty folder")
        if max_objects is not None and len(found) > max_objects:
            raise InvalidSpecError(f"reference {uri} holds {len(found)} objects, more than max_objects={max_objects}")
        out = []
        base = path.rstrip("/")
        for p, inf in sorted(found.items()):
            rel = p[len(base):].lstrip("/")
            digest, kind = _checksum(fs, p, inf, checksum)
            out.append((rel, {"ref": _url(fs, p), "digest": digest or _url(fs, p), "size": inf.get("size"), "checksum": kind}))
        return out
    digest, kind = _checksum(fs, path, info, checksum)
    return [("", {"ref": uri, "digest": digest or uri, "size": info.get("size"), "checksum": kind})]


def check_reference(rec: dict[str, Any]) -> str | None:
    """None if the referenced object still matches its record, else what changed."""
    if rec.get("checksum") == "none":
        return None
    try:
        now = describe_reference(rec["ref"], checksum=True)
    except NotFoundError:
        return f"{rec['ref']} no longer exists"
    _, cur = now[0]
    if cur["digest"] != rec["digest"]:
        return f"{rec['ref']} changed (recorded {rec['checksum']} {rec['digest'][:16]}, now {cur['digest'][:16]})"
    return None


def fetch_reference(rec: dict[str, Any], dest: str) -> None:
    """Download a referenced object to ``dest``, refusing content that no longer matches."""
    problem = check_reference(rec) if rec.get("checksum") == "etag" else None
    if problem:
        raise IntegrityError(f"refusing to download: {problem}")
    fs, path = _fs(rec["ref"])
    tmp = f"{dest}.{uuid.uuid4().hex[:8]}.part"
    try:
        with storage_errors(rec["ref"], "download"):
            fs.get_file(path, tmp)
        if rec.get("checksum") == "none":
            _warn_unchecked(rec, os.path.getsize(tmp))
        elif rec.get("checksum") == "blake3":
            with open(tmp, "rb") as f:
                if hash_stream(f)[0] != rec["digest"]:
                    raise IntegrityError(f"refusing to download {rec['ref']}: its content changed since it was logged")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _warn_unchecked(rec: dict[str, Any], size: int) -> None:
    """A reference logged with ``checksum=False`` has nothing to check its content against: say so on download,
    and say when even its size differs from the one recorded."""
    recorded = rec.get("size")
    changed = f"; its size changed since it was logged ({recorded} bytes then, {size} now)" \
        if isinstance(recorded, int) and recorded != size else ""
    warnings.warn(f"{rec['ref']} was logged without a checksum (checksum=False), so its content was downloaded "
                  f"unchecked{changed}; log it with a checksum to have downloads verified", stacklevel=4)
