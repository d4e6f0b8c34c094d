"""Which model version made this prediction: a prediction log per model version.

    model = api.artifact("model-registry/churn:production")
    log = PredictionLog(api.registry, model)
    log.append(inputs={"x": 1.2}, prediction=0.87, request_id="r-19")

Each line carries the version's ``qualified_name`` and ``digest``, so later performance on real
data traces back to the exact version, and through lineage to its data and code. Lines are
appended (one ``write`` each) to ``meta/predictions/<project>/<name>/vN.jsonl``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import envinfo
from .errors import InvalidSpecError
from .table import Table

if TYPE_CHECKING:
    from .artifact import Artifact
    from .registry import Registry


class PredictionLog:
    def __init__(self, registry: "Registry", model: "Artifact") -> None:
        model.require_logged()
        self._reg, self.model = registry, model

    def stamp(self) -> dict[str, str]:
        """The identifier to attach to a prediction: ``{"model": "project/name:vN", "digest": ...}``."""
        return {"model": self.model.qualified_name, "digest": self.model.digest}

    def append(self, prediction: Any, inputs: Any = None, **extra: Any) -> dict[str, Any]:
        """Append one prediction (with ``inputs`` and any extra fields) stamped with the version."""
        taken = sorted(set(extra) & {"at", "model", "digest"})
        if taken:
            raise InvalidSpecError(f"{', '.join(taken)}: reserved for the stamp of each prediction; use another field name")
        row = {"at": envinfo.now(), **self.stamp(), "prediction": prediction, "inputs": inputs, **extra}
        row = json.loads(json.dumps(row, default=str))  # stored as JSON: what read() gives back
        self._reg.meta.append_predictions(self.model.id, [row])
        return row

    def read(self) -> Table:
        return Table(self._reg.meta.predictions(self.model.id))
