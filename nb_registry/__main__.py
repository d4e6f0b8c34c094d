"""``python -m nb_registry ...``: the same as the ``nb-registry`` command."""

from .cli import main

raise SystemExit(main())
