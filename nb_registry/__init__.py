"""nb_registry: a notebook-first model and artifact registry on your own disk or bucket.

    import nb_registry as nbr

    with nbr.init(project="demo", job_type="train", config={"lr": 0.01}) as run:
        art = nbr.Artifact("model", type="model", metadata={"val_acc": 0.93})
        art.add_file("model.pt")
        run.log_artifact(art, aliases=["best"])

    model = nbr.Api(project="demo").artifact("model:best")
    path = model.download()

The names follow Weights & Biases (``Artifact``, ``add_file``, ``add_reference``, ``log_artifact``,
``use_artifact``, ``download``, ``verify``, ``link_artifact``) so code moves over by changing the import
(``import nb_registry as wandb``): the module-level ``nbr.log``, ``nbr.config``, ``nbr.summary``, ``nbr.run``,
``nbr.log_artifact``, ``nbr.use_artifact``, ``nbr.link_artifact``, ``nbr.log_model``, ``nbr.use_model``,
``nbr.link_model`` and ``nbr.finish`` act on the current run.
Importing this package is light: Jupyter and widget libraries load only when a notebook face is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AlreadyExistsError,
    ArtifactStateError,
    EntryNotFoundError,
    CorruptMetadataError,
    IntegrityError,
    InvalidNameError,
    InvalidSpecError,
    LockTimeoutError,
    NotFoundError,
    QueryError,
    RegistryError,
    StorageError,
    UnsafePathError,
)

if TYPE_CHECKING:
    from .api import Api, finish, init, open_registry
    from .artifact import Artifact, ArtifactEntry
    from .registry import Registry
    from .runs import Run

# Public names and the module each lives in: imported on first use, so ``import nb_registry`` stays light.
_LAZY = {
    "Api": "api", "init": "api", "finish": "api", "open_registry": "api",
    "Artifact": "artifact", "ArtifactEntry": "artifact", "Registry": "registry", "Run": "runs",
    "log": "current", "log_artifact": "current", "use_artifact": "current", "link_artifact": "current",
    "log_model": "current", "use_model": "current", "link_model": "current",
}
# Names that follow the current run, so they are looked up on every use: nbr.run, nbr.config, nbr.summary
_CURRENT = {"config": "config", "summary": "summary"}

__version__ = "0.1.0"

__all__ = [
    "Api", "Artifact", "ArtifactEntry", "Registry", "Run", "init", "finish", "open_registry", "on_alias_change",
    "log", "log_artifact", "use_artifact", "link_artifact", "log_model", "use_model", "link_model",
    "RegistryError", "NotFoundError", "EntryNotFoundError", "AlreadyExistsError", "ArtifactStateError", "InvalidNameError", "InvalidSpecError", "QueryError",
    "IntegrityError", "CorruptMetadataError", "UnsafePathError", "LockTimeoutError", "StorageError",
    "__version__",
]


def on_alias_change(fn: Any) -> Any:
    """Register ``fn(event)`` to be called in this process whenever a registered-model alias moves."""
    from .models import on_alias_change as register

    return register(fn)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "run":  # nbr.run: the current run of this process, as wandb.run
        from .runs import current

        return current()
    if name in _CURRENT:  # nbr.config, nbr.summary: the current run's (a stand-in before init)
        from . import current as module

        return getattr(module, _CURRENT[name])()
    raise AttributeError(f"module 'nb_registry' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nb_registry``: registers the magics (imported only now)."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext nb_registry``: finishes the kernel's implicit run."""
    from .magics import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server import NbRegistry  # an ExtensionApp: the server stops it (and its automation worker) at shutdown

    return [{"module": "nb_registry", "app": NbRegistry}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from .server import NbRegistry

    NbRegistry._load_jupyter_server_extension(server_app)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "nb-registry"}]
