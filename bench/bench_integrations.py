"""What each training integration adds per checkpoint, against the framework's own save of that checkpoint.

    .venv/bin/python bench/bench_integrations.py                    # 100 MiB checkpoints, 5 per framework
    .venv/bin/python bench/bench_integrations.py --size-mib 32 --repeat 3 --only lightning   # quick

For each framework a real training run on the CPU saves --repeat checkpoints of a model of about --size-mib MiB
of float32 weights (plain SGD, so no optimizer state: the checkpoint is the weights), through the framework's own
checkpointing, with the nb_registry integration logging each one into a fresh registry:

  lightning      ModelCheckpoint(save_top_k=-1) + NbRegistryLogger(log_model="all"); the save is
                 Trainer.save_checkpoint (torch.save of the whole checkpoint), the log after_save_checkpoint.
  transformers   Trainer(save_strategy="steps", save_steps=1, save_only_model=True) + NbRegistryCallback("checkpoint")
                 on a one-layer BERT; the save is the Trainer writing checkpoint-N (safetensors, config, state),
                 the log on_save (the folder, safetensors header read).
  keras          NbRegistryModelCheckpoint("...weights.h5", save_weights_only=True) on the torch backend; the save
                 is ModelCheckpoint.on_epoch_end (save_weights), the log what NbRegistryModelCheckpoint adds.

Dirty pages are flushed (os.sync) before each timed save and each timed log, so neither pays for the other's
writes. Each figure is the median over the checkpoints of one run; the ratio is log / save, measured in the same
run (target <= 1.2x at 100 MiB). Not a test: run by hand.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, Callable

from common import Scratch, Table, header, median, parser, settle, step

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

TARGET = 1.2


def timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    """``fn`` timed into ``into``, after flushing dirty pages (outside the timed part)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settle()
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - t)

    return wrapper


def copy_reference(folder: str) -> float:
    """A plain ``shutil.copyfile`` of the largest file below ``folder`` (median of 3, flushed before each)."""
    files = [os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs]
    big = max(files, key=os.path.getsize)
    times = []
    for i in range(3):
        dst = f"{big}.copy{i}"
        times.append(timed_call(lambda: shutil.copyfile(big, dst)))
        os.unlink(dst)
    return median(times)


def timed_call(fn: Callable[[], Any]) -> float:
    out: list[float] = []
    timed(fn, out)()
    return out[0]


def report(table: Table, name: str, saves: list[float], logs: list[float], size: int, logged: int,
           folder: str) -> None:
    assert logged == len(logs), f"{name}: {logged} versions for {len(logs)} logs"
    s, g = median(saves), median(logs)
    table.add(f"{name}: framework's save of a {size / 2**20:.0f} MiB checkpoint", s)
    table.add(f"{name}: what the integration adds (log)", g, "the save", s, target=f"<= {TARGET}x",
              ok=g / s <= TARGET)
    c = copy_reference(folder)
    table.add(f"{name}: copyfile of the checkpoint's largest file (reference)", c, "the log", g, ratio=c / g)
    table.note(f"{name}: per checkpoint, save / log", ", ".join(f"{a * 1e3:.0f}/{b * 1e3:.0f} ms" for a, b in zip(saves, logs)))


# -- Lightning ---------------------------------------------------------------------------------------
def bench_lightning(sc: Scratch, args: Any, table: Table) -> None:
    import lightning.pytorch as L
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint

    import nb_registry as nbr
    from nb_registry.integrations.lightning import NbRegistryLogger

    width = int((args.size_mib * 2**20 / 4) ** 0.5)

    class Wide(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(width, width, bias=False)

        def training_step(self, batch: Any, i: int) -> Any:
            return self.layer(batch[0]).pow(2).mean()

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=1e-3)

    saves: list[float] = []
    logs: list[float] = []

    class TimedLogger(NbRegistryLogger):
        def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
            timed(super().after_save_checkpoint, logs)(checkpoint_callback)

    root = sc.fresh("lightning-registry")
    logger = TimedLogger(project="bench", log_model="all", root=root)
    trainer = L.Trainer(max_epochs=args.repeat, logger=logger, accelerator="cpu", enable_progress_bar=False,
                        enable_model_summary=False, limit_train_batches=1,
                        callbacks=[ModelCheckpoint(dirpath=sc.path("lightning-ckpt"), save_top_k=-1)])
    trainer.save_checkpoint = timed(trainer.save_checkpoint, saves)  # type: ignore[method-assign]
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(2, width)), batch_size=2)
    with step(f"Lightning: {args.repeat} epochs of a {width}x{width} layer"):
        trainer.fit(Wide(), data)
    versions = nbr.Api(root=root, project="bench").artifact_versions(f"model-{logger.experiment.id}")
    report(table, "lightning", saves, logs, versions[0].size, len(versions), sc.path("lightning-ckpt"))


# -- transformers ------------------------------------------------------------------------------------
def bench_transformers(sc: Scratch, args: Any, table: Table) -> None:
    import torch
    from transformers import BertConfig, BertForMaskedLM, Trainer, TrainerCallback, TrainingArguments

    import nb_registry as nbr
    from nb_registry.integrations.transformers import NbRegistryCallback

    # embeddings (v h), one layer (4 h^2 attention + 2 h i feed-forward), the MLM head (h^2, tied decoder):
    # i chosen for about --size-mib of float32
    hidden, vocab = (1024, 4096) if args.size_mib >= 64 else (512, 2048)
    inter = max(256, int((args.size_mib * 2**20 / 4 - vocab * hidden - 5 * hidden**2) / (2 * hidden)))
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=1, num_attention_heads=8,
                        intermediate_size=inter, max_position_embeddings=16, tie_word_embeddings=True)
    saves: list[float] = []
    logs: list[float] = []
    started: list[float] = []

    class SaveTimer(TrainerCallback):  # type: ignore[misc]
        """on_step_end runs right before the Trainer saves checkpoint-N, on_save right after."""

        def on_step_end(self, *a: Any, **k: Any) -> None:
            settle()
            started.append(time.perf_counter())

        def on_save(self, *a: Any, **k: Any) -> None:
            saves.append(time.perf_counter() - started[-1])

    class TimedCallback(NbRegistryCallback):
        def on_save(self, *a: Any, **k: Any) -> None:
            timed(super().on_save, logs)(*a, **k)

    class Tokens(torch.utils.data.Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return 64

        def __getitem__(self, i: int) -> dict[str, Any]:
            ids = torch.arange(8) % vocab
            return {"input_ids": ids, "labels": ids}

    root = sc.fresh("transformers-registry")
    cb = TimedCallback("checkpoint", project="bench", root=root)
    targs = TrainingArguments(sc.path("hf-out"), max_steps=args.repeat, save_strategy="steps", save_steps=1,
                              save_only_model=True, optim="sgd", per_device_train_batch_size=1, report_to=[],
                              use_cpu=True, disable_tqdm=True, logging_steps=10**6)
    model = BertForMaskedLM(config)
    trainer = Trainer(model=model, args=targs, train_dataset=Tokens(), callbacks=[SaveTimer(), cb])
    with step(f"transformers: {args.repeat} steps of a {model.num_parameters() / 1e6:.0f} M-parameter BERT"):
        trainer.train()
    nbr.finish()
    api = nbr.Api(root=root, project="bench")
    [record] = api.runs("bench").to_records()
    versions = api.artifact_versions(f"model-{record['id']}")
    report(table, "transformers", saves, logs, versions[0].size, len(versions), sc.path("hf-out"))


# -- Keras -------------------------------------------------------------------------------------------
def bench_keras(sc: Scratch, args: Any, table: Table) -> None:
    import keras
    import numpy as np

    import nb_registry as nbr
    from nb_registry.integrations.keras import NbRegistryModelCheckpoint

    width = int((args.size_mib * 2**20 / 4) ** 0.5)
    saves: list[float] = []
    logs: list[float] = []

    class Timed(NbRegistryModelCheckpoint):
        def on_epoch_end(self, epoch: int, logs_: Any = None) -> None:
            path, before = self._about_to_save(epoch, None, logs_)
            timed(keras.callbacks.ModelCheckpoint.on_epoch_end, saves)(self, epoch, logs_)
            timed(self._log_if_saved, logs)(path, before, epoch, None, logs_)

    root = sc.fresh("keras-registry")
    ckpt = Timed(sc.path("keras-ckpt", "e{epoch}.weights.h5"), monitor="loss", save_weights_only=True,
                 project="bench", root=root)
    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(width, use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    x = np.random.default_rng(0).normal(size=(2, width)).astype("float32")
    with step(f"Keras ({keras.backend.backend()}): {args.repeat} epochs of a {width}x{width} layer"):
        model.fit(x, x, epochs=args.repeat, batch_size=2, verbose=0, callbacks=[ckpt])
    api = nbr.Api(root=root, project="bench")
    [record] = api.runs("bench").to_records()
    versions = api.artifact_versions(f"model-{record['id']}")
    report(table, "keras", saves, logs, versions[0].size, len(versions), sc.path("keras-ckpt"))


BENCHES = {"lightning": bench_lightning, "transformers": bench_transformers, "keras": bench_keras}


def main() -> int:
    p = parser(__doc__.split("\n")[0], repeat=5)
    p.add_argument("--size-mib", type=int, default=100, help="checkpoint size (default %(default)s MiB)")
    p.add_argument("--only", choices=sorted(BENCHES), action="append", help="run only this framework (repeatable)")
    args = p.parse_args()
    header("training integrations: per-checkpoint cost against the framework's own save", args)
    table = Table()
    with Scratch(args.dir, "integrations", args.keep) as sc:
        for name in args.only or list(BENCHES):
            BENCHES[name](sc, args, table)
    table.print()
    return 1 if table.misses else 0


if __name__ == "__main__":
    sys.exit(main())
