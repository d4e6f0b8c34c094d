"""The Hugging Face Trainer callback with the real transformers on the CPU: a one-layer BERT made from a config.

Nothing comes from a hub (``HF_HUB_OFFLINE``). The evaluation accuracy is scripted per epoch (0.5, 0.8, 0.6, 0.7),
so the best checkpoint is epoch 2's (checkpoint-4), not the last (checkpoint-8).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments, set_seed  # noqa: E402

import nb_registry as nbr  # noqa: E402
from nb_registry.integrations.transformers import NbRegistryCallback, safetensors_summary  # noqa: E402

ACCURACY = [0.5, 0.8, 0.6, 0.7]  # per epoch; best at epoch 2 = checkpoint-4
PROJECT = "hf"
TRAINING_STATE = {"optimizer.pt", "scheduler.pt", "rng_state.pth"}


class Tokens(torch.utils.data.Dataset):  # type: ignore[type-arg]
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randint(0, 50, (n, 8), generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.x[i], "labels": self.x[i, 0] % 2}


def train(root: str, out: Path, callback: NbRegistryCallback, **args: Any) -> Trainer:
    calls: list[int] = []

    def scripted(_: Any) -> dict[str, float]:
        calls.append(1)
        return {"accuracy": ACCURACY[min(len(calls), len(ACCURACY)) - 1]}

    set_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    settings = dict(num_train_epochs=4, per_device_train_batch_size=8, eval_strategy="epoch", save_strategy="epoch",
                    metric_for_best_model="accuracy", greater_is_better=True, report_to=[], logging_steps=1,
                    use_cpu=True, seed=0, disable_tqdm=True, learning_rate=1e-3)
    settings.update(args)
    trainer = Trainer(model=BertForSequenceClassification(config), args=TrainingArguments(str(out), **settings),
                      train_dataset=Tokens(16), eval_dataset=Tokens(8), compute_metrics=scripted, callbacks=[callback])
    trainer.train()
    return trainer


def the_run(api: Any) -> Any:
    [record] = api.runs(PROJECT).to_records()
    return api.run(f"{PROJECT}/{record['id']}")


def edges(api: Any, spec: str) -> set[tuple[str, str, str]]:
    bare = lambda key: key.split(":", 1)[1]  # noqa: E731
    return {(bare(e["source"]), e["kind"], bare(e["target"])) for e in api.lineage(spec)["edges"]}


def test_checkpoint_mode_logs_each_checkpoint_folder_with_best_from_the_trainer(
        reg_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NB_REGISTRY_LOG_MODEL", "checkpoint")  # as WANDB_LOG_MODEL
    trainer = train(reg_root, tmp_path / "out", NbRegistryCallback(project=PROJECT, root=reg_root))
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = the_run(api)
    name = f"model-{run.id}"
    versions = api.artifact_versions(name)
    assert [v.metadata["global_step"] for v in versions] == [2, 4, 6, 8]
    assert [a for v in versions for a in v.aliases if a.startswith("checkpoint-")] == [
        "checkpoint-2", "checkpoint-4", "checkpoint-6", "checkpoint-8"]
    assert trainer.state.best_model_checkpoint == str(tmp_path / "out" / "checkpoint-4")
    assert api.artifact(f"{name}:best").aliases == ["best", "checkpoint-4"]  # not the last epoch
    assert api.artifact(f"{name}:latest").version == "v3"
    assert [(h["from"], h["to"]) for h in api.registry.alias_history(name, PROJECT) if h["alias"] == "best"] == [
        (None, 0), (0, 1)], "best followed state.best_model_checkpoint and then stayed"
    assert [v.metadata["metrics"]["eval/accuracy"] for v in versions] == ACCURACY
    assert versions[1].metadata["best_metric"] == 0.8 and versions[3].metadata["best_model_checkpoint"] == "checkpoint-4"
    for v in versions:
        files = {e.path for e in v.files()}
        assert {"model.safetensors", "config.json", "trainer_state.json"} <= files
        assert not files & TRAINING_STATE, "optimizer, scheduler and RNG state only when asked"
        assert (run.path, "produced", v.id) in edges(api, v.id)
        on_disk = tmp_path / "out" / f"checkpoint-{v.metadata['global_step']}" / "model.safetensors"
        assert (v.id, "model.safetensors") in {(a.id, e) for a, e in api.find_by_content(str(on_disk))}


def test_the_safetensors_header_goes_into_the_metadata(reg_root: str, tmp_path: Path) -> None:
    trainer = train(reg_root, tmp_path / "out", NbRegistryCallback("checkpoint", project=PROJECT, root=reg_root))
    api = nbr.Api(root=reg_root, project=PROJECT)
    meta = api.artifact(f"model-{the_run(api).id}:best").metadata
    state = trainer.model.state_dict()
    tensors = meta["safetensors"]["shapes"]
    assert meta["num_parameters"] == trainer.model.num_parameters() == meta["safetensors"]["parameters"]
    assert meta["safetensors"]["dtype"] == "F32" and set(meta["safetensors"]["dtypes"]) == {"F32"}
    assert {k: tuple(v) for k, v in tensors.items()} == {k: tuple(state[k].shape) for k in tensors}
    assert meta["safetensors"]["files"]["model.safetensors"]["metadata"] == {"format": "pt"}


def test_safetensors_summary_reads_only_the_header_and_refuses_a_bad_one(tmp_path: Path) -> None:
    save_file({"w": torch.zeros(3, 4, dtype=torch.float16), "b": torch.zeros(4)}, str(tmp_path / "m.safetensors"))
    summary = safetensors_summary(str(tmp_path))
    assert summary["parameters"] == 16 and summary["dtypes"] == {"F16": 12, "F32": 4} and "dtype" not in summary
    assert summary["shapes"] == {"w": [3, 4], "b": [4]}
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(nbr.InvalidSpecError, match="over the format's 100 MB limit"):
        safetensors_summary(str(tmp_path / "bad"))
    assert safetensors_summary(str(tmp_path / "m.safetensors"))["parameters"] == 16  # one file works too


def test_training_state_files_only_when_asked(reg_root: str, tmp_path: Path) -> None:
    train(reg_root, tmp_path / "out", NbRegistryCallback("checkpoint", log_training_state=True, project=PROJECT,
                                                         root=reg_root))
    api = nbr.Api(root=reg_root, project=PROJECT)
    files = {e.path for e in api.artifact(f"model-{the_run(api).id}:latest").files()}
    assert TRAINING_STATE <= files


def test_end_mode_logs_the_final_model_which_is_the_best_with_load_best_model_at_end(reg_root: str,
                                                                                    tmp_path: Path) -> None:
    trainer = train(reg_root, tmp_path / "out", NbRegistryCallback("end", project=PROJECT, root=reg_root),
                    load_best_model_at_end=True)
    api = nbr.Api(root=reg_root, project=PROJECT)
    [final] = api.artifact_versions(f"model-{the_run(api).id}")
    assert set(final.aliases) == {"latest", "best", "final_model"} and final.metadata["final_model"] is True
    best_weights = tmp_path / "out" / "checkpoint-4" / "model.safetensors"
    assert trainer.state.best_model_checkpoint.endswith("checkpoint-4")
    stored = Path(final.get_entry("model.safetensors").download())
    loaded, reference = load_file(str(stored)), load_file(str(best_weights))
    assert loaded.keys() == reference.keys() and all(torch.equal(loaded[k], reference[k]) for k in loaded)
    assert {"config.json", "model.safetensors"} <= {e.path for e in final.files()}


def test_config_history_and_summary(reg_root: str, tmp_path: Path) -> None:
    trainer = train(reg_root, tmp_path / "out", NbRegistryCallback("false", project=PROJECT, root=reg_root))
    trainer.evaluate()  # after train(): the same run
    api = nbr.Api(root=reg_root, project=PROJECT)
    run = the_run(api)
    assert run.state == "running"  # open until nbr.finish(), as W&B's callback leaves it
    nbr.finish()
    run = the_run(api)
    assert run.state == "finished" and not api.artifact_collections(PROJECT), "log_model false logs no model"
    assert run.config["learning_rate"] == 1e-3 and run.config["hidden_size"] == 16
    assert run.config["model/num_parameters"] == trainer.model.num_parameters()
    assert run.config["metric_for_best_model"] == "accuracy"
    rows = run.history().to_records()
    evals = [(r["_step"], r["eval/accuracy"]) for r in rows if r.get("eval/accuracy") is not None]
    assert evals[:4] == [(2, 0.5), (4, 0.8), (6, 0.6), (8, 0.7)]
    assert evals[4] == (9, 0.7), "evaluate() after train(): a row of its own in the same run, nothing overwritten"
    assert [r["train/global_step"] for r in rows if r.get("eval/accuracy") is not None][4] == 8
    assert [r["_step"] for r in rows if r.get("train/loss") is not None] == list(range(1, 9))
    assert "train_runtime" in run.summary and "train_loss" in run.summary


def test_a_second_identical_run_stores_no_weights_again(reg_root: str, tmp_path: Path) -> None:
    train(reg_root, tmp_path / "a", NbRegistryCallback("checkpoint", project=PROJECT, root=reg_root))
    nbr.finish()
    blobs = Path(reg_root) / "blobs"
    before = {p for p in blobs.rglob("*") if p.is_file()}
    train(reg_root, tmp_path / "b", NbRegistryCallback("checkpoint", project=PROJECT, root=reg_root))
    nbr.finish()
    api = nbr.Api(root=reg_root, project=PROJECT)
    first, second = sorted((r for r in api.runs(PROJECT).to_records()), key=lambda r: r["started_at"])
    a, b = (api.artifact_versions(f"model-{r['id']}") for r in (first, second))
    weights = lambda vs: [v.get_entry("model.safetensors").digest for v in vs]  # noqa: E731
    assert weights(a) == weights(b) and len(b) == 4
    new = {p for p in blobs.rglob("*") if p.is_file()} - before
    new_digests = {p.parent.name + p.name for p in new}
    new_entries = {e.path for v in b for e in v.files() if e.digest in new_digests}
    # stored again: only the Trainer's own files that name this run's folder and timings (not weights, not config)
    assert new_entries == {"trainer_state.json", "training_args.bin"}, new_entries


def test_bad_log_model_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(nbr.InvalidSpecError, match="end, checkpoint, false"):
        NbRegistryCallback("always")
    monkeypatch.setenv("NB_REGISTRY_LOG_MODEL", "sometimes")
    with pytest.raises(nbr.InvalidSpecError, match="NB_REGISTRY_LOG_MODEL"):
        NbRegistryCallback()
    monkeypatch.setenv("NB_REGISTRY_LOG_MODEL", "true")  # WANDB_LOG_MODEL's old spelling of "end"
    assert NbRegistryCallback().log_model == "end"
