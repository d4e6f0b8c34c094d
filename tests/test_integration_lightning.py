"""The Lightning logger with the real Lightning on the CPU: a tiny model made here, a few batches per epoch.

The validation loss is scripted per epoch (0.5, 0.2, 0.4, 0.3), so the best epoch is 1, not the last, and every
assertion about ``best`` can fail. The registry is then read back through ``nbr.Api``: versions, aliases and their
history, metadata, the checkpoint file each version holds, lineage, runs and their history.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

import lightning.pytorch as L
import nb_registry as nbr
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from nb_registry.integrations.lightning import NbRegistryLogger

VAL_LOSS = [0.5, 0.2, 0.4, 0.3]  # best at epoch 1
PROJECT = "lit"


class Tiny(L.LightningModule):
    def __init__(self, lr: float = 0.1, hidden: int = 8, fail_at_epoch: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))

    def training_step(self, batch: Any, i: int) -> Any:
        if self.current_epoch == self.hparams.fail_at_epoch:
            raise RuntimeError("diverged")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, i: int) -> None:
        self.log("val_loss", VAL_LOSS[self.current_epoch])

    def test_step(self, batch: Any, i: int) -> None:
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader() -> Any:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)


class CountVersions(Callback):
    """How many checkpoint versions the registry holds when each epoch starts (to see when they are logged)."""

    def __init__(self, api: Any) -> None:
        self.api, self.counts = api, []

    def on_train_epoch_start(self, trainer: Any, module: Any) -> None:
        self.counts.append(sum(len(self.api.artifact_versions(c["name"])) for c in self.api.artifact_collections(PROJECT)))


def fit(root: str, ckpt_dir: Path, log_model: Any, module: Tiny | None = None, **checkpoint: Any) -> tuple[Any, ...]:
    L.seed_everything(0, verbose=False)
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    logger = NbRegistryLogger(project=PROJECT, name="tiny", log_model=log_model, root=root)
    cb = ModelCheckpoint(dirpath=ckpt_dir, **{"monitor": "val_loss", "mode": "min", "save_top_k": 2, **checkpoint})
    counter = CountVersions(nbr.Api(root=root, project=PROJECT))
    trainer = L.Trainer(max_epochs=4, callbacks=[counter, cb], logger=logger, log_every_n_steps=1, accelerator="cpu",
                        enable_progress_bar=False, enable_model_summary=False, deterministic=True)
    module = module or Tiny()
    trainer.fit(module, loader(), loader())
    return logger, cb, counter, trainer, module


def collection(api: Any, run: Any) -> str:
    return f"model-{run.id}"


def edges(api: Any, spec: str, direction: str = "up") -> set[tuple[str, str, str]]:
    """Lineage edges as (source, kind, target), runs as ``project/id`` and versions as ``project/name:vN``."""
    bare = lambda key: key.split(":", 1)[1]  # noqa: E731  ("run:..." / "artifact:...")
    return {(bare(e["source"]), e["kind"], bare(e["target"])) for e in api.lineage(spec, direction=direction)["edges"]}


def test_log_model_all_logs_each_checkpoint_as_it_is_written_with_best_on_the_best_epoch(reg_root: str,
                                                                                          tmp_path: Path) -> None:
    logger, cb, counter, _, _ = fit(reg_root, tmp_path / "ckpt", "all")
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = api.run(logger.experiment.path)
    assert run.state == "finished"  # finalize("success") finished it
    assert counter.counts == [0, 1, 2, 3], "one version per checkpoint, logged as soon as it was written"
    versions = api.artifact_versions(collection(api, run))
    assert [v.metadata["epoch"] for v in versions] == [0, 1, 2, 3]
    assert [v.metadata["global_step"] for v in versions] == [2, 4, 6, 8]
    assert [v.metadata["score"] for v in versions] == pytest.approx(VAL_LOSS)
    assert [v.metadata["original_filename"] for v in versions] == [f"epoch={e}-step={2 * e + 2}.ckpt" for e in range(4)]
    assert api.artifact(f"{collection(api, run)}:best").version == "v1"  # epoch 1, not the last
    assert api.artifact(f"{collection(api, run)}:latest").version == "v3"
    history = [(h["from"], h["to"]) for h in api.registry.alias_history(collection(api, run), PROJECT) if h["alias"] == "best"]
    assert history == [(None, 0), (0, 1)], "best moved once, to the better epoch, and stayed"
    meta = versions[1].metadata
    assert (meta["monitor"], meta["mode"]) == ("val_loss", "min")
    assert meta["ModelCheckpoint"]["save_top_k"] == 2 and meta["ModelCheckpoint"]["dirpath"] == str(tmp_path / "ckpt")
    for v in versions:  # each version holds the checkpoint of its epoch, as model.ckpt
        assert [e.path for e in v.files()] == ["model.ckpt"]
        saved = torch.load(v.get_entry("model.ckpt").download(), weights_only=False, map_location="cpu")
        assert (saved["epoch"], saved["global_step"]) == (v.metadata["epoch"], v.metadata["global_step"])
        assert (run.path, "produced", v.id) in edges(api, v.id)
    assert sorted(run.outputs) == sorted(v.id for v in versions)


def test_hyperparameters_go_to_the_config_and_metrics_to_the_history_at_the_trainers_step(reg_root: str,
                                                                                          tmp_path: Path) -> None:
    """Lightning's own CSVLogger in the same Trainer is the reference for which step each metric belongs to."""
    import csv

    from lightning.pytorch.loggers import CSVLogger

    L.seed_everything(0, verbose=False)
    ours, theirs = NbRegistryLogger(project=PROJECT, name="tiny", root=reg_root), CSVLogger(tmp_path / "csv")
    trainer = L.Trainer(max_epochs=4, logger=[ours, theirs], log_every_n_steps=1, accelerator="cpu",
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Tiny(), loader(), loader())
    run = nbr.Api(root=reg_root, project=PROJECT).run(ours.experiment.path)
    assert run.config == {"lr": 0.1, "hidden": 8, "fail_at_epoch": None}
    assert run.name == "tiny" and run.job_type == "train" and run.state == "finished"
    with open(Path(theirs.log_dir) / "metrics.csv") as f:
        reference = list(csv.DictReader(f))
    for key in ("val_loss", "train_loss", "epoch"):  # the CSV has a line per call, the history a row per step
        want = sorted({(int(r["step"]), round(float(r[key]), 6)) for r in reference if r.get(key)})
        got = sorted({(r["_step"], round(float(r[key]), 6)) for r in run.history().to_records() if r.get(key) is not None})
        assert got == want, key
    assert len([r for r in reference if r.get("val_loss")]) == 4
    assert run.summary["val_loss"] == pytest.approx(0.3) and run.summary["epoch"] == 3
    assert not nbr.Api(root=reg_root).artifact_collections(PROJECT), "log_model=False logs no checkpoint"


def test_a_checkpoint_folder_inside_the_working_folder_is_recorded_relative_to_it(reg_root: str, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning makes every dirpath absolute; in a shared registry a teammate needs the folder as the project
    names it, not one machine's absolute path."""
    monkeypatch.chdir(tmp_path)
    logger, _, _, _, _ = fit(reg_root, Path("ckpt"), "all")
    api = nbr.Api(root=reg_root, project=PROJECT)
    versions = api.artifact_versions(collection(api, api.run(logger.experiment.path)))
    assert {v.metadata["ModelCheckpoint"]["dirpath"] for v in versions} == {"ckpt"}


def test_log_model_true_logs_the_kept_checkpoints_when_training_ends(reg_root: str, tmp_path: Path) -> None:
    logger, cb, counter, _, _ = fit(reg_root, tmp_path / "ckpt", True)
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = api.run(logger.experiment.path)
    assert counter.counts == [0, 0, 0, 0], "nothing is logged while training"
    versions = api.artifact_versions(collection(api, run))
    assert [v.metadata["epoch"] for v in versions] == [1, 3]  # the two ModelCheckpoint kept (top 2), oldest first
    assert [v.metadata["global_step"] for v in versions] == [4, 8]
    assert api.artifact(f"{collection(api, run)}:best").metadata["epoch"] == 1
    assert api.artifact(f"{collection(api, run)}:latest").metadata["epoch"] == 3
    assert sorted(os.path.basename(p) for p in cb.best_k_models) == sorted(v.metadata["original_filename"] for v in versions)


def test_save_last_copies_are_one_version_and_best_stays_on_the_best_file(reg_root: str, tmp_path: Path) -> None:
    """save_top_k=1 with save_last: Lightning rewrites last.ckpt after each new best; at epoch 1 it holds the same
    bytes as epoch=1-step=4.ckpt, which is then one version (no warning), still ``best`` after later saves."""
    logger, *_ = fit(reg_root, tmp_path / "ckpt", "all", save_top_k=1, save_last=True)
    api = nbr.Api(root=reg_root, project=PROJECT)
    name = collection(api, logger.experiment)
    versions = api.artifact_versions(name)
    assert [(v.metadata["original_filename"], v.metadata["epoch"]) for v in versions] == [
        ("epoch=0-step=2.ckpt", 0), ("last.ckpt", 0), ("epoch=1-step=4.ckpt", 1)]
    last = Path(tmp_path / "ckpt" / "last.ckpt")
    assert api.find_by_content(str(last))[0][0].id == versions[2].id  # last.ckpt's bytes are that version's
    assert api.artifact(f"{name}:best").version == "v2" and api.artifact(f"{name}:latest").version == "v2"


def test_a_failed_fit_finishes_the_run_failed_and_keeps_its_checkpoints(reg_root: str, tmp_path: Path) -> None:
    """W&B's logger logs ``log_model=True`` checkpoints only on success; these are kept."""
    with pytest.raises(RuntimeError, match="diverged"):
        fit(reg_root, tmp_path / "ckpt", True, module=Tiny(fail_at_epoch=2))
    api = nbr.Api(root=reg_root, project=PROJECT)
    [record] = api.runs(PROJECT).to_records()
    run = api.run(f"{PROJECT}/{record['id']}")
    assert run.state == "failed" and run.info["exit_code"] == 1
    versions = api.artifact_versions(collection(api, run))
    assert [v.metadata["epoch"] for v in versions] == [0, 1]
    assert api.artifact(f"{collection(api, run)}:best").metadata["epoch"] == 1


def test_a_second_identical_run_adds_no_bytes(reg_root: str, tmp_path: Path) -> None:
    first, *_ = fit(reg_root, tmp_path / "ckpt", "all")
    blobs = Path(reg_root) / "blobs"
    before = {p.relative_to(blobs) for p in blobs.rglob("*") if p.is_file()}
    second, *_ = fit(reg_root, tmp_path / "ckpt", "all")
    api = nbr.Api(root=reg_root, project=PROJECT)
    a = api.artifact_versions(collection(api, first.experiment))
    b = api.artifact_versions(collection(api, second.experiment))
    assert first.experiment.id != second.experiment.id and len(a) == len(b) == 4
    assert [v.digest for v in a] == [v.digest for v in b], "the same checkpoints, byte for byte"
    new = {str(p).replace(os.sep, "") for p in {p.relative_to(blobs) for p in blobs.rglob("*") if p.is_file()} - before}
    stored = {e.digest for v in b for e in v.files()}
    assert not new & stored, "no checkpoint byte stored twice"
    assert api.artifact(f"{collection(api, second.experiment)}:best").version == "v1"


def test_test_after_fit_is_a_run_that_used_the_best_checkpoint(reg_root: str, tmp_path: Path) -> None:
    logger, cb, _, trainer, module = fit(reg_root, tmp_path / "ckpt", "all")
    fit_run = logger.experiment
    trainer.test(module, loader(), ckpt_path="best", verbose=False)
    test_run = logger.experiment
    api = nbr.Api(root=reg_root, project=PROJECT)
    assert test_run.id != fit_run.id and api.run(test_run.path).state == "finished"
    assert "test_loss" in api.run(test_run.path).summary
    best = api.artifact(f"{collection(api, fit_run)}:best")
    assert api.run(test_run.path).inputs == [best.id]
    assert (best.id, "used", test_run.path) in edges(api, best.id, "down")


def test_a_live_run_is_reused_and_left_open(reg_root: str, tmp_path: Path) -> None:
    with nbr.init(project=PROJECT, name="mine", root=reg_root, config={"dataset": "x"}) as run:
        logger, *_ = fit(reg_root, tmp_path / "ckpt", "all")
        assert logger.experiment is run and run.state == "running"
        run.log({"after": 1.0})
    got = nbr.Api(root=reg_root, project=PROJECT).run(run.path)
    assert got.state == "finished" and got.config == {"dataset": "x", "lr": 0.1, "hidden": 8, "fail_at_epoch": None}
    assert len(nbr.Api(root=reg_root, project=PROJECT).artifact_versions(f"model-{run.id}")) == 4


def test_a_second_checkpoint_callback_gets_its_own_best_alias(reg_root: str, tmp_path: Path) -> None:
    """W&B's logger puts every ModelCheckpoint's best on one alias, so it flips between monitors."""
    L.seed_everything(0, verbose=False)
    logger = NbRegistryLogger(project=PROJECT, log_model="all", root=reg_root)
    by_val = ModelCheckpoint(dirpath=tmp_path / "val", monitor="val_loss", mode="min", save_top_k=1)
    by_epoch = ModelCheckpoint(dirpath=tmp_path / "epoch", monitor="epoch", mode="max", save_top_k=1,
                               filename="latest-{epoch}")
    trainer = L.Trainer(max_epochs=4, callbacks=[by_val, by_epoch], logger=logger, accelerator="cpu",
                        enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1)
    trainer.fit(Tiny(), loader(), loader())
    api = nbr.Api(root=reg_root, project=PROJECT)
    name = collection(api, logger.experiment)
    assert api.artifact(f"{name}:best").metadata["original_filename"] == "epoch=1-step=4.ckpt"
    assert api.artifact(f"{name}:best-epoch").metadata["original_filename"] == "latest-epoch=3.ckpt"


def test_bad_log_model_is_refused() -> None:
    with pytest.raises(nbr.InvalidSpecError, match="log_model must be False, True or 'all'"):
        NbRegistryLogger(log_model="best")


DDP_SCRIPT = """
import sys
import torch
import lightning.pytorch as L
from lightning.pytorch.callbacks import ModelCheckpoint
sys.path.insert(0, {tests!r})
from test_integration_lightning import Tiny, loader
from nb_registry.integrations.lightning import NbRegistryLogger

L.seed_everything(0, verbose=False)
logger = NbRegistryLogger(project="lit", log_model="all", root={root!r})
trainer = L.Trainer(max_epochs=4, accelerator="cpu", devices=2, strategy="ddp", logger=logger, log_every_n_steps=1,
                    callbacks=[ModelCheckpoint(dirpath={ckpt!r}, monitor="val_loss", mode="min", save_top_k=2)],
                    enable_progress_bar=False, enable_model_summary=False)
trainer.fit(Tiny(), loader(), loader())
"""


def test_only_global_rank_zero_writes_under_ddp_with_no_network(reg_root: str, tmp_path: Path) -> None:
    """Two processes (DDP on the CPU, gloo over loopback) in a network namespace with no route out."""
    script = tmp_path / "train_ddp.py"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent), root=reg_root, ckpt=str(tmp_path / "ckpt")))
    cmd = f"ip link set lo up && exec {sys.executable} {script}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(["unshare", "--net", "sh", "-c", cmd], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in done.stderr, "two processes trained"
    api = nbr.Api(root=reg_root, project=PROJECT)
    runs = api.runs(PROJECT).to_records()
    assert len(runs) == 1 and runs[0]["state"] == "finished", runs  # rank 1 started no run
    [coll] = api.artifact_collections(PROJECT)
    versions = api.artifact_versions(coll["name"])
    assert [v.metadata["epoch"] for v in versions] == [0, 1, 2, 3]  # each checkpoint once, not once per rank
    assert api.artifact(f"{coll['name']}:best").metadata["epoch"] == 1
    assert {v.producer_run for v in versions} == {f"{PROJECT}/{runs[0]['id']}"}


def test_the_pytorch_lightning_package_takes_the_logger_too(reg_root: str, tmp_path: Path) -> None:
    import pytorch_lightning as pl  # installed with lightning (it depends on it)
    source = textwrap.dedent("""
        import torch, pytorch_lightning as pl
        class M(pl.LightningModule):
            def __init__(self):
                super().__init__(); self.net = torch.nn.Linear(4, 1)
            def training_step(self, b, i):
                return torch.nn.functional.mse_loss(self.net(b[0]), b[1])
            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)
    """)
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    logger = NbRegistryLogger(project=PROJECT, log_model=True, root=reg_root)
    trainer = pl.Trainer(max_epochs=2, logger=logger, accelerator="cpu", enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "c")])
    trainer.fit(namespace["M"](), loader())
    api = nbr.Api(root=reg_root, project=PROJECT)
    [version] = api.artifact_versions(f"model-{logger.experiment.id}")
    assert version.metadata["epoch"] == 1 and "best" in version.aliases
    assert api.run(logger.experiment.path).state == "finished"
