"""Training integrations: trainers log their runs and checkpoints into the registry, offline.

One module per framework, each importing its framework only when it is imported itself (importing
this package imports none of them):

* :mod:`nb_registry.integrations.lightning`: ``NbRegistryLogger``, a Lightning ``Logger``;
* :mod:`nb_registry.integrations.transformers`: ``NbRegistryCallback``, a Hugging Face ``TrainerCallback``;
* :mod:`nb_registry.integrations.keras`: ``NbRegistryMetricsLogger`` and ``NbRegistryModelCheckpoint`` (Keras 3, any backend);
* :mod:`nb_registry.integrations.keras_tuner`: ``RunPerTrial``, a KerasTuner mixin (one run per trial);
* :mod:`nb_registry.integrations.optuna`: ``NbRegistryCallback`` and ``NbRegistryArtifactStore``.

They use the public API only (``nbr.init``, ``Run.log``, ``Run.log_artifact``, ``Artifact``, ``Api``):
checkpoints become versions of one collection per run, with ``latest`` on the newest and ``best`` on the
best by the monitored score. See ``docs/integrations.md`` for one example per framework.
"""
