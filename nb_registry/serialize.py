"""Python objects to files and back, by type, for ``%%log_artifact --var`` and ``%use``.

* plain data (dict, list, str, numbers, bool, None) -> ``.json``
* numpy arrays -> ``.npy`` (``allow_pickle=False`` both ways)
* pandas DataFrames -> ``.parquet`` when pyarrow is there, else JSON with pandas' Table Schema
  (index and dtypes kept)
* torch tensors and state dicts -> ``.pt``, loaded with ``weights_only=True`` (no code runs)
* scikit-learn estimators -> ``.skops`` when skops is installed (its loader runs no code)
* anything else -> pickle, only with an explicit opt-in, at both ends: loading a pickle from a
  shared registry runs whatever code its author put in it.

Objects are listed in an ``_objects.json`` entry of the artifact: ``{var: {"file", "format"}}``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from .errors import InvalidSpecError

OBJECTS_ENTRY = "_objects.json"
PICKLE_ENV = "NB_REGISTRY_ALLOW_PICKLE"


def _is_plain(obj: Any, depth: int = 0) -> bool:
    """Data that JSON gives back exactly: dicts with string keys, lists, str, int, float (NaN and infinity
    too, which Python's json writes and reads), bool and None. A tuple or a set would come back changed."""
    if obj is None or type(obj) in (str, int, float, bool):
        return True
    if depth > 100:
        return False
    if type(obj) is list:
        return all(_is_plain(v, depth + 1) for v in obj)
    if type(obj) is dict:
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in obj.items())
    return False


def dump(obj: Any, folder: str, name: str, allow_pickle: bool = False) -> tuple[str, str]:
    """Write ``obj`` into ``folder``; return (file name, format)."""
    if _is_plain(obj):
        fname, fmt = f"{name}.json", "json"
        with open(os.path.join(folder, fname), "w") as f:
            json.dump(obj, f)
        return fname, fmt
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray) and obj.dtype != object:
        np.save(os.path.join(folder, f"{name}.npy"), obj, allow_pickle=False)
        return f"{name}.npy", "npy"
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.DataFrame):
        try:
            obj.to_parquet(os.path.join(folder, f"{name}.parquet"))
            return f"{name}.parquet", "parquet"
        except ImportError:  # no pyarrow: JSON with pandas' Table Schema keeps the index and the dtypes (CSV would not)
            obj.to_json(os.path.join(folder, f"{name}.table.json"), orient="table", date_unit="ns")
            return f"{name}.table.json", "pandas-table"
    torch = sys.modules.get("torch")
    if torch is not None and (isinstance(obj, torch.Tensor) or (isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()))):
        torch.save(obj, os.path.join(folder, f"{name}.pt"))
        return f"{name}.pt", "torch"
    if torch is not None and isinstance(obj, torch.nn.Module) and not allow_pickle:
        torch.save(obj.state_dict(), os.path.join(folder, f"{name}.pt"))
        return f"{name}.pt", "torch"
    if type(obj).__module__.startswith("sklearn"):
        try:
            import skops.io as sio

            sio.dump(obj, os.path.join(folder, f"{name}.skops"))
            return f"{name}.skops", "skops"
        except ImportError:
            pass
    if not allow_pickle:
        raise InvalidSpecError(
            f"cannot store {name!r} ({type(obj).__module__}.{type(obj).__name__}) without pickle. "
            "Convert it (to a dict, a numpy array, a state_dict), or opt in with --pickle "
            "(loading it back will need --allow-pickle: a pickle runs code when loaded)."
        )
    import pickle

    with open(os.path.join(folder, f"{name}.pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    return f"{name}.pkl", "pickle"


def load(path: str, fmt: str, allow_pickle: bool = False, name: str | None = None) -> Any:
    """Read an object written by :func:`dump`; ``name`` says what it is in errors (an entry of an artifact:
    the file itself may be a blob named by its digest)."""
    name = name or os.path.basename(path)
    if fmt == "json":
        with open(path) as f:
            return json.load(f)
    if fmt == "npy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if fmt == "parquet":
        import pandas as pd

        return pd.read_parquet(path)
    if fmt == "pandas-table":
        import pandas as pd

        return pd.read_json(path, orient="table")
    if fmt == "csv":  # written by nb_registry 0.1 when pyarrow was missing
        import pandas as pd

        return pd.read_csv(path)
    if fmt == "torch":
        import torch

        return torch.load(path, weights_only=True)
    if fmt == "skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        if untrusted and not (allow_pickle or os.environ.get(PICKLE_ENV) == "1"):
            raise InvalidSpecError(
                f"{name} holds types skops does not trust by default ({', '.join(untrusted[:5])}); "
                f"if you trust its source, pass --allow-pickle (or set {PICKLE_ENV}=1)."
            )
        return sio.load(path, trusted=untrusted)
    if fmt == "pickle":
        if not (allow_pickle or os.environ.get(PICKLE_ENV) == "1"):
            raise InvalidSpecError(
                f"{name} is a pickle: loading it runs code its author chose. "
                f"If you trust its source, pass --allow-pickle (or set {PICKLE_ENV}=1)."
            )
        import pickle

        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 - explicit opt-in above
    raise InvalidSpecError(f"unknown object format {fmt!r} for {name}")


def load_objects(art: Any, allow_pickle: bool = False) -> dict[str, Any] | None:
    """The objects a ``--var`` log stored in an artifact, or None if it holds none."""
    if OBJECTS_ENTRY not in art.manifest:
        return None
    with open(_read_only_path(art, OBJECTS_ENTRY)) as f:
        index = json.load(f)
    return {var: load(_read_only_path(art, rec["file"]), rec["format"], allow_pickle, f"{rec['file']} (in {art.id})")
            for var, rec in index.items()}


def _read_only_path(art: Any, name: str) -> str:
    """The verified blob behind an entry, to read from: loading an object needs no copy of its file."""
    entry = art.get_entry(name)
    if entry.ref or entry.dependency:  # not a stored file: fetched the usual way
        return str(entry.download())
    return str(art.blob_path(entry.digest))
