"""Hugging Face transformers: ``NbRegistryCallback``, a ``TrainerCallback`` for ``Trainer(callbacks=[...])``.

    from transformers import Trainer, TrainingArguments
    from nb_registry.integrations.transformers import NbRegistryCallback

    args = TrainingArguments("out", eval_strategy="epoch", save_strategy="epoch", metric_for_best_model="accuracy",
                             report_to=[])
    trainer = Trainer(model, args, train_dataset=..., eval_dataset=..., callbacks=[NbRegistryCallback("checkpoint")])
    trainer.train()                           # model-<run id>:checkpoint-500, :latest, :best

The run's config gets the ``TrainingArguments``, the model's config and its parameter count; ``on_log`` metrics
go into the history at the global step (named as W&B names them: ``train/loss``, ``eval/accuracy``), the
one-off totals (``train_runtime`` ...) into the summary. ``log_model`` (or ``NB_REGISTRY_LOG_MODEL``, as
``WANDB_LOG_MODEL``): ``"checkpoint"`` logs each ``checkpoint-N`` folder when the Trainer saves it, aliases
``latest``, ``checkpoint-N`` and ``best`` (on ``state.best_model_checkpoint``, which needs
``metric_for_best_model``); ``"end"`` logs the final model once training ends (``final_model``, and ``best``
with ``load_best_model_at_end``); ``"false"`` nothing. Optimizer, scheduler, scaler and RNG state files are left
out unless ``log_training_state=True``. Each version's metadata holds the step, epoch, best metric, the last
metrics and, read from the safetensors headers without loading a tensor, the dtypes, shapes and parameter count.

The run is the one the user started (``nbr.init``), else one this callback starts when training begins; it
stays open after ``train()`` so that ``evaluate()`` and ``predict()`` log into it too (as W&B's callback
does), and ends with ``nbr.finish()``, the next run, or the process. Only the main process writes.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import struct
import tempfile
from typing import Any, Mapping

from nb_registry.errors import InvalidSpecError

from ._common import CheckpointLog, StepHistory, jsonable, open_run, safe_name

try:
    from transformers import TrainerCallback
except ImportError as e:
    raise ImportError("nb_registry.integrations.transformers needs transformers: pip install transformers accelerate "
                      "(or pip install 'nb-registry[transformers]')") from e

__all__ = ["NbRegistryCallback", "safetensors_summary"]

LOG_MODEL_ENV = "NB_REGISTRY_LOG_MODEL"
MODES = ("end", "checkpoint", "false")
TRAINING_STATE = ("optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt", "rng_state.pth", "rng_state_*.pth",
                  "global_step*/*", "*/optimizer*", "*/scheduler*")
SUMMARY_ONLY = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss", "total_flos")
MAX_SHAPES = 512  # tensors listed by name in the metadata; bigger models get the totals only
MAX_HEADER = 100 << 20  # the safetensors format's own limit


def _log_model_mode(value: Any) -> str:
    """``end``, ``checkpoint`` or ``false`` from the argument, else from ``NB_REGISTRY_LOG_MODEL``."""
    if value is None:
        value = os.environ.get(LOG_MODEL_ENV, "false")
    if value is True or str(value).lower() == "true":
        return "end"
    if value is False or value == "":
        return "false"
    mode = str(value).lower()
    if mode not in MODES:
        raise InvalidSpecError(f"log_model (or {LOG_MODEL_ENV}) must be one of {', '.join(MODES)}, not {value!r}")
    return mode


def _is_training_state(rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, pattern) for pattern in TRAINING_STATE)


def rewrite_logs(logs: Mapping[str, Any]) -> dict[str, Any]:
    """``eval_loss`` -> ``eval/loss``, ``test_x`` -> ``test/x``, anything else -> ``train/...`` (as W&B's callback)."""
    out = {}
    for k, v in logs.items():
        for prefix in ("eval", "test"):
            if k.startswith(prefix + "_"):
                out[f"{prefix}/{k[len(prefix) + 1:]}"] = v
                break
        else:
            out[f"train/{k}"] = v
    return out


def safetensors_summary(folder: str) -> dict[str, Any]:
    """Dtypes, shapes and parameter count of every ``*.safetensors`` file below ``folder``, read from their headers
    (8 bytes of length, then JSON); {} when there is none. Tensor data is never read."""
    files, shapes, dtypes, total = {}, {}, {}, 0
    paths = [folder] if os.path.isfile(folder) else sorted(
        os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.endswith(".safetensors"))
    for path in paths:
        header = _safetensors_header(path)
        params = 0
        for name, info in header.items():
            if name == "__metadata__" or not isinstance(info, dict):
                continue
            n = math.prod(int(x) for x in info.get("shape", []))
            params += n
            dtypes[info.get("dtype", "?")] = dtypes.get(info.get("dtype", "?"), 0) + n
            shapes[name] = list(info.get("shape", []))
        rel = os.path.relpath(path, folder) if os.path.isdir(folder) else os.path.basename(path)
        files[rel.replace(os.sep, "/")] = {"tensors": sum(1 for k in header if k != "__metadata__"), "parameters": params,
                                           "metadata": header.get("__metadata__") or {}}
        total += params
    if not files:
        return {}
    out: dict[str, Any] = {"parameters": total, "dtypes": dtypes, "files": files}
    if len(dtypes) == 1:
        out["dtype"] = next(iter(dtypes))
    if len(shapes) <= MAX_SHAPES:
        out["shapes"] = shapes
    return out


def _safetensors_header(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise InvalidSpecError(f"{path} is not a safetensors file (shorter than its 8-byte header length)")
        (size,) = struct.unpack("<Q", raw)
        if size > MAX_HEADER:
            raise InvalidSpecError(f"{path}: a safetensors header of {size} bytes is over the format's 100 MB limit")
        try:
            return json.loads(f.read(size))
        except ValueError as e:
            raise InvalidSpecError(f"{path}: the safetensors header is not JSON ({e})") from None


class NbRegistryCallback(TrainerCallback):  # type: ignore[misc]
    """Track a ``Trainer`` run in nb_registry and log its model. See the module docstring.

    ``log_model``: ``"checkpoint"``, ``"end"``, ``"false"`` or None (``NB_REGISTRY_LOG_MODEL``, default false);
    ``project`` (``NB_REGISTRY_PROJECT``, else ``huggingface``), ``root`` and ``init_kwargs`` (``tags``, ``notes``,
    ``job_type``) are for the run this callback starts; ``name``: the collection (``model-<run id>``, or
    ``model-<run_name>`` when ``TrainingArguments.run_name`` is set)."""

    def __init__(self, log_model: str | bool | None = None, log_training_state: bool = False,
                 project: str | None = None, root: str | None = None, name: str | None = None,
                 **init_kwargs: Any) -> None:
        self.log_model = _log_model_mode(log_model)
        self.log_training_state = log_training_state
        self._project, self._root, self._name = project, root, name
        self._init_kwargs = {"job_type": "train", **init_kwargs}
        self._run: Any = None
        self._owned = False
        self._log: CheckpointLog | None = None
        self._history = StepHistory("train/global_step")

    # -- the run --------------------------------------------------------------------------------------
    def _setup(self, args: Any, state: Any, model: Any) -> None:
        config = {**_model_config(model), **jsonable(args.to_dict())}
        count = _num_parameters(model)
        if count is not None:
            config["model/num_parameters"] = count
        name = state.trial_name or (args.run_name if args.run_name and args.run_name != args.output_dir else None)
        self._run, self._owned = open_run(self._project, "huggingface", name, config=config, root=self._root,
                                          **self._init_kwargs)
        self._history = StepHistory("train/global_step")
        collection = self._name or (f"model-{safe_name(name)}" if name else f"model-{self._run.id}")
        self._log = CheckpointLog(collection, "model", "max" if args.greater_is_better else "min")

    def _live(self, args: Any, state: Any, model: Any = None) -> Any:
        if self._run is None or self._run.state != "running":
            self._setup(args, state, model)
        return self._run

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if state.is_hyper_param_search and self._run is not None:  # a run per trial, as W&B's callback does
            if self._owned and self._run.state == "running":
                self._run.finish()
            self._run = None
        self._live(args, state, model)

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        run = self._live(args, state, model)
        once = {k: v for k, v in logs.items() if k in SUMMARY_ONLY}
        if once:
            run.set_summary(**jsonable(once))
        rows = rewrite_logs({k: v for k, v in logs.items() if k not in SUMMARY_ONLY})
        if rows:
            self._history.log(run, jsonable(rows), state.global_step)

    def on_predict(self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None,
                   **kwargs: Any) -> None:
        if state.is_world_process_zero and metrics:
            self._history.log(self._live(args, state), jsonable(rewrite_logs(metrics)), state.global_step)

    # -- the model --------------------------------------------------------------------------------------
    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.log_model != "checkpoint" or not state.is_world_process_zero:
            return
        run = self._live(args, state, kwargs.get("model"))
        folder = _checkpoint_folder(args, state)
        if folder is None or self._log is None:
            return
        best = state.best_model_checkpoint
        is_best = best is not None and os.path.abspath(best) == os.path.abspath(folder)
        include = None if self.log_training_state else (lambda rel: not _is_training_state(rel))
        self._log.log(run, folder, best=is_best, aliases=[os.path.basename(folder)],
                      metadata=self._metadata(args, state, folder), include=include)
        if best is not None and not is_best:
            self._log.mark_best(best, state.best_metric)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                     **kwargs: Any) -> None:
        if not state.is_world_process_zero or self.log_model == "false" or self._log is None:
            return
        run = self._live(args, state, model)
        if self.log_model == "checkpoint":
            if state.best_model_checkpoint:
                self._log.mark_best(state.best_model_checkpoint, state.best_metric)
            return
        with tempfile.TemporaryDirectory(prefix="nb_registry-final-") as folder:
            _save_model(model, processing_class or kwargs.get("tokenizer"), folder)
            best = bool(args.load_best_model_at_end and state.best_model_checkpoint)
            self._log.log(run, folder, best=best, aliases=["final_model"],
                          metadata={**self._metadata(args, state, folder), "final_model": True})

    def _metadata(self, args: Any, state: Any, folder: str) -> dict[str, Any]:
        latest = {}
        for entry in state.log_history:  # the last value of each metric logged up to this step
            if entry.get("step", 0) <= state.global_step:
                latest.update({k: v for k, v in entry.items() if k not in ("step", "epoch")})
        meta = {"global_step": state.global_step, "epoch": state.epoch,
                "metric_for_best_model": args.metric_for_best_model, "greater_is_better": args.greater_is_better,
                "best_metric": state.best_metric, "best_model_checkpoint": _basename(state.best_model_checkpoint),
                "metrics": rewrite_logs(latest)}
        try:
            summary = safetensors_summary(folder)
        except (InvalidSpecError, OSError) as e:  # the checkpoint is still logged as it is; say why there is no summary
            meta["safetensors_error"] = str(e)
            summary = {}
        if summary:
            meta["safetensors"] = summary
            meta["num_parameters"] = summary["parameters"]
        return meta


def _basename(path: str | None) -> str | None:
    return os.path.basename(path) if path else None


def _checkpoint_folder(args: Any, state: Any) -> str | None:
    """The ``checkpoint-N`` folder the Trainer just wrote (in ``output_dir``, or in a trial's ``run-*`` below it)."""
    name = f"checkpoint-{state.global_step}"
    direct = os.path.join(args.output_dir, name)
    if os.path.isdir(direct):
        return direct
    found = [os.path.join(args.output_dir, d, name) for d in os.listdir(args.output_dir)
             if os.path.isdir(os.path.join(args.output_dir, d, name))] if os.path.isdir(args.output_dir) else []
    return max(found, key=os.path.getmtime) if found else None


def _model_config(model: Any) -> dict[str, Any]:
    config = getattr(model, "config", None)
    if config is None:
        return {}
    return jsonable(config if isinstance(config, dict) else config.to_dict())


def _num_parameters(model: Any) -> int | None:
    try:
        return int(model.num_parameters())
    except (AttributeError, TypeError):
        try:
            return sum(int(p.numel()) for p in model.parameters())
        except (AttributeError, TypeError):
            return None


def _save_model(model: Any, processing_class: Any, folder: str) -> None:
    """The final model as the Trainer saves it: ``save_pretrained`` (safetensors), else the state dict as safetensors."""
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(folder)
    else:
        from safetensors.torch import save_model

        save_model(model, os.path.join(folder, "model.safetensors"))
    if processing_class is not None and hasattr(processing_class, "save_pretrained"):
        processing_class.save_pretrained(folder)

