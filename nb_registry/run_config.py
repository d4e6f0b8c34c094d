"""``run.config`` and ``run.summary`` as W&B code reads and writes them: dicts that are also attributes.

Both are plain ``dict`` subclasses, so everything that reads a dict (``json.dumps``, ``dict(run.config)``,
``config.get``) keeps working. Writes go through the run that owns them and are saved with it at once:

    run.config.lr                      # attribute access, as run.config["lr"]
    run.config.update({"epochs": 3})   # saved; changing a value already set needs allow_val_change=True, as in W&B
    run.summary["best_acc"] = 0.97     # saved; the key then no longer follows the last logged value

Pure: no I/O of its own; the owner is anything with ``update_config(dict)`` and ``set_summary(**values)``.
"""

from __future__ import annotations

import copy
from abc import ABCMeta, abstractmethod
from typing import Any, Iterable, Mapping

from .errors import InvalidSpecError

__all__ = ["Config", "Summary"]


class _AttrDict(dict, metaclass=ABCMeta):  # type: ignore[type-arg]
    """A dict whose keys also read as attributes; writes go to :meth:`_write`, which each kind defines."""

    _owner: Any = None

    def __init__(self, values: Mapping[str, Any] | None = None, owner: Any = None) -> None:
        dict.__init__(self, values or {})
        object.__setattr__(self, "_owner", owner)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"{type(self).__name__.lower()} has no key {key!r}; keys: "
                                 f"{', '.join(sorted(map(str, self))) or '(none)'}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._write({key: value})

    def __setitem__(self, key: str, value: Any) -> None:
        self._write({key: value})

    def __delattr__(self, key: str) -> None:
        raise InvalidSpecError(f"{type(self).__name__.lower()} keys cannot be deleted ({key!r}); set a new value instead")

    __delitem__ = __delattr__

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> Any:  # pickles as a plain dict: the run it belongs to stays behind
        return (dict, (dict(self),))

    def as_dict(self) -> dict[str, Any]:
        """A plain copy."""
        return dict(self)

    @abstractmethod
    def _write(self, values: Mapping[str, Any]) -> None:
        """Save ``values`` through the owner (a config checks changed keys first, a summary does not)."""

    def reload(self, values: Mapping[str, Any]) -> None:
        """Replace the contents with what the owner stored (no write)."""
        dict.clear(self)
        dict.update(self, values)


class Config(_AttrDict):
    """A run's hyperparameters (W&B's ``run.config``)."""

    def update(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
               allow_val_change: bool = False, **more: Any) -> None:  # type: ignore[override]
        """Add keys and save them. Changing the value of a key already set is refused unless
        ``allow_val_change=True`` (as in W&B: a silently changed hyperparameter misleads whoever compares runs)."""
        merged = {**dict(values or {}), **more}
        if not allow_val_change:
            changed = [k for k, v in merged.items() if k in self and self[k] != v]
            if changed:
                k = changed[0]
                raise InvalidSpecError(f"config {k!r} is already {self[k]!r}; to change it to {merged[k]!r} pass "
                                       "allow_val_change=True to config.update()")
        self._store(merged)

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        """Set the keys that are not set yet (W&B's ``config.setdefaults``)."""
        self._store({k: v for k, v in values.items() if k not in self})

    def _write(self, values: Mapping[str, Any]) -> None:
        self.update(values)

    def _store(self, values: Mapping[str, Any]) -> None:
        if not values:
            return
        owner = self._owner
        if owner is None:
            dict.update(self, values)
        else:
            owner.update_config(dict(values))  # checks, saves, and refreshes this dict


class Summary(_AttrDict):
    """A run's summary (W&B's ``run.summary``): the last logged value of each metric, unless set by hand."""

    def update(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,  # type: ignore[override]
               **more: Any) -> None:
        """Set summary values and save them (they then no longer follow the last logged value)."""
        self._write({**dict(values or {}), **more})

    def _write(self, values: Mapping[str, Any]) -> None:
        if not values:
            return
        if self._owner is None:
            dict.update(self, values)
        else:
            self._owner.set_summary(**{str(k): v for k, v in values.items()})
