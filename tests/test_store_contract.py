"""The metadata store contract: the same cases on every backend (as fsspec's abstract test suite does).

Each test takes ``store``, a fresh empty store of each backend in ``store_backends.BACKENDS``:
``tinydb`` (a local folder), ``memory`` (``memory://``), ``s3`` (moto's S3 server) and ``postgres``
(a database of its own on the throwaway cluster). The racing tests use real processes (spawn) and
run on the backends other processes can reach. ``NB_REGISTRY_STRESS=N`` multiplies their process
and operation counts when run by hand.

Where the interface leaves a choice open, these are the choices this suite holds every backend to
(questions for the interface's owner, decided here so that backends agree):

* ``delete_versions`` of an id that names no version reports it, ``Removed(id, False, "no such
  version")``, rather than raising; a string that is no version id at all is InvalidSpecError and
  nothing is deleted. Reasons name what protects: "newest", "alias", "linked", "referenced" (a
  dependency), "run".
* ``latest`` is never a stored alias: ``move_alias``/``remove_alias``/``commit_version``/``link`` with
  it raise InvalidNameError (the domain drops it before calling; the store refuses rather than
  silently ignoring it).
* ``commit_version`` with a dependency that does not exist is NotFoundError (checked in the write).
* ``changes_since`` may answer a (kind, key) once per call or more; cursors are opaque (PostgreSQL's
  is a transaction horizon, not a change id: ids are handed out at insert, not at commit).
* Event ids grow in commit order, not only in insert order: a worker at ``after=N`` never misses
  an event committed later with a lower id.
* ``save_run`` makes the run's inputs (which protect versions from retention) exactly the record's
  ``inputs``; an input naming no version is NotFoundError.
* ``update_version(description=None)`` stores None (it sets, it does not leave as is).
* ``use_version`` of a missing run is NotFoundError; ``record_delivery`` for a missing event too.
* ``append_predictions`` need not advance ``generation()`` (it takes no lock by design); every other
  write does, ``append_history`` included (a live run's charts refresh on it).
* A second ``collect`` while one runs either waits for it or raises LockTimeoutError; it never
  overlaps it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
from store_backends import (BACKENDS, SHARED, STRESS, collect_loop, commit_many, commit_with_blobs, delete_randomly,
                            link_versions, make_spec, move_aliases, open_backend, race, version)

from nb_registry.errors import AlreadyExistsError, InvalidNameError, InvalidSpecError, NotFoundError, QueryError
from nb_registry.query import query
from nb_registry.store.interface import MetadataStore, StaleGeneration
from nb_registry.store.records import Delivery, ModelRecord, RunRecord
from nb_registry.store.records import replay_aliases as replay


@pytest.fixture(params=BACKENDS)
def spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    return make_spec(request.param, request)


@pytest.fixture(params=SHARED)
def shared_spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    return make_spec(request.param, request)


@pytest.fixture
def store(spec: dict[str, Any]) -> Iterator[MetadataStore]:
    s = open_backend(spec)
    yield s
    s.close()


def commit(store: MetadataStore, name: str, digest: str, aliases: tuple[str, ...] = (),
           content: tuple[tuple[str, str], ...] = (), **fields: Any) -> Any:
    return store.commit_version(version(name, digest, **fields), list(aliases), by="tester", content=content,
                                gc_generation=store.gc_generation())


def state(store: MetadataStore) -> Any:
    """Everything a failed operation must leave as it was."""
    colls = store.collections()
    return (colls, [store.collection(c.project, c.name) for c in colls],
            [[v.to_doc() for v in store.versions(c.project, c.name)] for c in colls],
            [store.alias_history(c.project, c.name) for c in colls], store.runs(), store.models(),
            [store.model_versions(m.name) for m in store.models()], store.events(), store.generation())


# -- numbering and deduplication ---------------------------------------------------------------
def test_versions_are_numbered_from_zero_without_gaps(store: MetadataStore) -> None:
    made = [commit(store, "clf", f"d{i}") for i in range(3)]
    assert [c.version.version for c in made] == [0, 1, 2] and all(c.created for c in made)
    assert [c.version.id for c in made] == ["p/clf:v0", "p/clf:v1", "p/clf:v2"]
    coll = store.collection("p", "clf")
    assert (coll.latest, coll.count, coll.type) == (2, 3, "model")
    store.delete_versions(["p/clf:v1"], by="t")
    assert commit(store, "clf", "d3").version.version == 3  # a removed number is never handed out again


def test_same_digest_returns_the_existing_version_and_moves_aliases_to_it(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1", ("best",))
    again = commit(store, "clf", "d0", ("best", "old"))  # an older version with this digest, not the latest
    assert (again.version.version, again.created) == (0, False)
    assert {e.alias: (e.from_version, e.to_version) for e in again.moved} == {"best": (1, 0), "old": (None, 0)}
    assert store.collection("p", "clf").count == 2
    assert set(store.get_version("p", "clf", "best").aliases) == {"best", "old"}
    quiet = commit(store, "clf", "d0", ("best",))
    assert quiet.moved == () and not quiet.created


def test_a_collection_keeps_one_type(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    before = state(store)
    with pytest.raises(InvalidSpecError, match="type"):
        commit(store, "clf", "d1", ("x",), type="dataset")
    with pytest.raises(InvalidSpecError, match="type"):
        commit(store, "clf", "d0", type="dataset")
    assert state(store) == before


def test_commit_keeps_every_stored_field_and_indexes_content(store: MetadataStore) -> None:
    dep = commit(store, "base", "b0").version
    c = store.commit_version(version("clf", "d0", size=12, files=2, metadata={"acc": 0.9, "nested": {"k": [1, 2]}},
                                     description="first", deps=(dep.id,), created_by="ann", host="h", run="p/r1",
                                     git={"commit": "abc"}, code="c" * 64),
                             ["best"], by="ann", content=[("blobA", "model.pt"), ("blobB", "cfg.json")],
                             gc_generation=store.gc_generation())
    got = store.get_version("p", "clf", 0)
    for field in ("size", "files", "metadata", "description", "deps", "created_by", "host", "run", "git", "code",
                  "digest", "manifest", "type", "created_at"):
        assert getattr(got, field) == getattr(c.version, field), field
    assert got.metadata == {"acc": 0.9, "nested": {"k": [1, 2]}} and got.deps == (dep.id,)
    assert store.find_content("blobA") == [("p/clf:v0", "model.pt")]
    assert store.find_content("nothing") == []


def test_commit_with_a_missing_dependency_changes_nothing(store: MetadataStore) -> None:
    commit(store, "base", "b0")
    before = state(store)
    with pytest.raises(NotFoundError, match="p/base:v7"):
        commit(store, "clf", "d0", ("best",), deps=("p/base:v7",))
    assert state(store) == before


# -- resolving -----------------------------------------------------------------------------------
def test_get_version_by_latest_alias_and_number(store: MetadataStore) -> None:
    for i in range(3):
        commit(store, "clf", f"d{i}", ("best",) if i == 1 else ())
    assert store.get_version("p", "clf", "latest").version == 2
    assert store.get_version("p", "clf", "latest").aliases == ("latest",)
    assert store.get_version("p", "clf", "best").version == 1
    assert store.get_version("p", "clf", "best").aliases == ("best",)
    assert store.get_version("p", "clf", 0).aliases == ()
    assert store.collection("p", "clf").aliases_of(2) == ("latest",)


def test_not_found_messages_name_what_exists(store: MetadataStore) -> None:
    commit(store, "clf", "d0", ("best", "prod"))
    commit(store, "other", "o0")
    with pytest.raises(NotFoundError, match=r"(?s)nope.*best.*prod") as e:
        store.get_version("p", "clf", "nope")
    assert "latest" in str(e.value)
    with pytest.raises(NotFoundError, match=r"(?s)v5.*v0"):
        store.get_version("p", "clf", 5)
    with pytest.raises(NotFoundError, match=r"(?s)missing.*clf.*other"):
        store.get_version("p", "missing", "latest")
    with pytest.raises(NotFoundError, match=r"(?s)missing.*clf.*other"):
        store.collection("p", "missing")
    with pytest.raises(NotFoundError, match="q"):
        store.versions("q", "clf")
    with pytest.raises(InvalidSpecError):
        store.get_version("p", "clf", True)  # type: ignore[arg-type]


def test_listings(store: MetadataStore) -> None:
    commit(store, "b", "d0", project="p2", type="dataset")
    commit(store, "a", "d1", project="p2")
    commit(store, "z", "d2")
    store.save_run(RunRecord(project="p3", id="r1", name="r1"))
    assert [(c.project, c.name, c.type) for c in store.collections()] == [
        ("p", "z", "model"), ("p2", "a", "model"), ("p2", "b", "dataset")]
    assert [c.name for c in store.collections(project="p2")] == ["a", "b"]
    assert [c.name for c in store.collections(type="model")] == ["z", "a"]
    assert store.projects() == ["p", "p2", "p3"]


# -- queries ------------------------------------------------------------------------------------
def test_versions_filter_order_and_limit_as_the_query_language(store: MetadataStore) -> None:
    accs = [0.5, 0.9, None, 0.7, 0.95]
    for i, acc in enumerate(accs):
        meta = {"acc": acc} if acc is not None else {"note": "no acc"}
        commit(store, "clf", f"d{i}", ("best",) if i == 3 else (), metadata=meta)
    got = [v.version for v in store.versions("p", "clf", {"metadata.acc": {"$gte": 0.7}}, order="-metadata.acc")]
    assert got == [4, 1, 3]
    assert [v.version for v in store.versions("p", "clf")] == [0, 1, 2, 3, 4]
    assert [v.version for v in store.versions("p", "clf", order="metadata.acc")] == [0, 3, 1, 4, 2]  # missing last
    assert [v.version for v in store.versions("p", "clf", limit=2)] == [0, 1]
    assert [v.version for v in store.versions("p", "clf", {"aliases": {"$contains": "best"}})] == [3]
    assert [v.version for v in store.versions("p", "clf", {"aliases": {"$contains": "latest"}})] == [4]
    assert [v.version for v in store.versions("p", "clf", {"version": "v2"})] == [2]
    assert [v.aliases for v in store.versions("p", "clf", {"version": {"$in": [3, 4]}})] == [("best",), ("latest",)]
    with pytest.raises(QueryError, match=r"(?s)metadata\.acx.*metadata\.acc"):
        store.versions("p", "clf", {"metadata.acx": 1})
    with pytest.raises(QueryError, match="sort"):
        store.versions("p", "clf", order="-nope")
    # the same answers as nb_registry.query over the stored form plus aliases, for a mix of filters
    rows = [{**v.to_doc(), "aliases": list(v.aliases)} for v in store.versions("p", "clf")]
    for flt, order in [({"$or": [{"metadata.note": {"$exists": True}}, {"metadata.acc": {"$lt": 0.6}}]}, "-version"),
                       ({"$not": {"aliases": {"$contains": "best"}}}, ["metadata.acc", "-version"]),
                       ({"digest": {"$regex": "^d[13]$"}}, None)]:
        want = [r["version"] for r in query(rows, flt, order or "version")]
        assert [v.version for v in store.versions("p", "clf", flt, order)] == want


# -- aliases --------------------------------------------------------------------------------------
def test_move_and_remove_alias_with_history(store: MetadataStore) -> None:
    for i in range(3):
        commit(store, "clf", f"d{i}")
    e = store.move_alias("p", "clf", "best", 0, by="ann")
    assert (e.alias, e.from_version, e.to_version, e.by) == ("best", None, 0, "ann") and e.at
    assert store.move_alias("p", "clf", "best", 0, by="ann") is None
    assert store.move_alias("p", "clf", "best", 1, by="bob").from_version == 0
    store.move_alias("p", "clf", "prod", 1, by="bob")
    gone = store.remove_alias("p", "clf", "prod", by="cy")
    assert (gone.from_version, gone.to_version) == (1, None)
    history = store.alias_history("p", "clf")
    assert [(h.alias, h.from_version, h.to_version) for h in history] == [
        ("best", None, 0), ("best", 0, 1), ("prod", None, 1), ("prod", 1, None)]
    assert replay(history) == dict(store.collection("p", "clf").aliases) == {"best": 1}


def test_alias_errors_change_nothing(store: MetadataStore) -> None:
    commit(store, "clf", "d0", ("best",))
    commit(store, "clf", "d1")
    before = state(store)
    with pytest.raises(NotFoundError, match=r"(?s)v9.*v1"):
        store.move_alias("p", "clf", "best", 9, by="t")
    with pytest.raises(NotFoundError, match="nope"):
        store.move_alias("p", "nope", "best", 0, by="t")
    with pytest.raises(NotFoundError, match=r"(?s)prod.*best"):
        store.remove_alias("p", "clf", "prod", by="t")
    with pytest.raises(InvalidSpecError, match="v1"):
        store.remove_alias("p", "clf", "best", by="t", version=1)
    for bad in (lambda: store.move_alias("p", "clf", "latest", 0, by="t"),
                lambda: store.remove_alias("p", "clf", "latest", by="t"),
                lambda: commit(store, "clf", "d2", ("latest",))):
        with pytest.raises(InvalidNameError):
            bad()
    assert state(store) == before
    store.remove_alias("p", "clf", "best", by="t", version=0)
    assert store.collection("p", "clf").aliases == {}


def test_update_version_sets_exactly_these_aliases(store: MetadataStore) -> None:
    commit(store, "clf", "d0", ("c",))
    commit(store, "clf", "d1", ("a", "b"))
    v = store.update_version("p", "clf", 1, description="better", metadata={"acc": 1}, aliases=["b", "c"], by="ann")
    assert (v.description, v.metadata, set(v.aliases)) == ("better", {"acc": 1}, {"latest", "b", "c"})
    assert dict(store.collection("p", "clf").aliases) == {"b": 1, "c": 1}
    got = store.get_version("p", "clf", 1)
    assert (got.description, got.metadata, got.digest) == ("better", {"acc": 1}, "d1")
    assert replay(store.alias_history("p", "clf")) == {"b": 1, "c": 1}
    before = state(store)
    with pytest.raises(NotFoundError):
        store.update_version("p", "clf", 7, description=None, metadata={}, aliases=[], by="ann")
    assert state(store) == before


# -- retention and garbage collection ---------------------------------------------------------------
def _protected(store: MetadataStore, versions: int) -> None:
    """``versions`` versions of p/clf, v1 to v4 each kept by one protection: an alias, a link, a dependent, a run."""
    for i in range(versions):
        commit(store, "clf", f"d{i}")
    store.move_alias("p", "clf", "best", 1, by="t")
    store.link("reg", "p/clf:v2", aliases=[], by="t")
    commit(store, "ens", "e0", deps=("p/clf:v3",))
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    store.use_version("p", "r1", "p/clf:v4")


def test_delete_versions_protections_each_with_its_reason(store: MetadataStore) -> None:
    _protected(store, 7)
    out = store.delete_versions(["p/clf:v0", "p/clf:v1", "p/clf:v2", "p/clf:v3", "p/clf:v4", "p/clf:v6",
                                 "p/clf:v99", "p/clf:v5"], by="gc")
    got = {r.id: r for r in out}
    assert [r.id for r in out] == ["p/clf:v0", "p/clf:v1", "p/clf:v2", "p/clf:v3", "p/clf:v4", "p/clf:v6",
                                   "p/clf:v99", "p/clf:v5"]
    assert got["p/clf:v0"].removed and got["p/clf:v5"].removed and got["p/clf:v0"].digest == "d0"
    for vid, word in [("p/clf:v1", "alias"), ("p/clf:v2", "linked"), ("p/clf:v3", "referenced"),
                      ("p/clf:v4", "run"), ("p/clf:v6", "newest"), ("p/clf:v99", "no such|does not exist")]:
        assert not got[vid].removed and re.search(word, got[vid].reason), (vid, got[vid])
    assert [v.version for v in store.versions("p", "clf")] == [1, 2, 3, 4, 6]
    with pytest.raises(NotFoundError):
        store.get_version("p", "clf", 0)
    # once the dependent goes, the dependency is free (a dependent protects only while it lives)
    commit(store, "ens", "e1")
    assert store.delete_versions(["p/ens:v0"], by="gc")[0].removed
    assert store.delete_versions(["p/clf:v3"], by="gc")[0].removed


def test_delete_version_a_users_delete_with_its_protections(store: MetadataStore) -> None:
    """W&B's artifact.delete(): the newest may go (latest moves back), aliases only with delete_aliases (recorded in
    the history), never a linked, depended-on or used version; a missing one is NotFoundError, changing nothing."""
    _protected(store, 6)
    for n, word in [(1, "alias 'best'"), (2, "linked"), (3, "referenced"), (4, "run")]:
        before = state(store)[:-1]  # (a refusal may still count as a write: the generation is left out)
        done = store.delete_version("p", "clf", n, by="ann")
        assert not done.removed and word in done.reason, (n, done)
        assert state(store)[:-1] == before
    before = state(store)
    with pytest.raises(NotFoundError, match="v5"):
        store.delete_version("p", "clf", 99, by="ann")
    assert state(store) == before
    newest = store.delete_version("p", "clf", 5, by="ann")
    assert newest.removed and newest.digest == "d5"
    assert store.get_version("p", "clf", "latest").version == 4
    assert store.delete_version("p", "clf", 1, by="ann", delete_aliases=True).removed
    assert "best" not in store.collection("p", "clf").aliases
    assert store.alias_history("p", "clf")[-1].to_dict() | {"at": ""} == {"alias": "best", "from": 1, "to": None,
                                                                          "by": "ann", "at": ""}
    assert [v.version for v in store.versions("p", "clf")] == [0, 2, 3, 4]
    assert commit(store, "clf", "d6").version.version == 6  # numbers are never reused


def test_registered_model_names_with_spaces(store: MetadataStore) -> None:
    """W&B's tutorials name registered models 'My Registered Model': stored under a safe key, shown as given."""
    commit(store, "clf", "d0")
    store.link("Model Registry Tutorial", "p/clf:v0", aliases=["staging"], by="t")
    store.create_model(ModelRecord("Industrial ViT (v2) ü"))
    assert [m.name for m in store.models()] == ["Industrial ViT (v2) ü", "Model Registry Tutorial"]
    assert store.get_model("Model Registry Tutorial").aliases == {"staging": 0}
    assert store.model_versions("Model Registry Tutorial")[0].artifact == "p/clf:v0"
    with pytest.raises(InvalidNameError):
        store.create_model(ModelRecord("a/b"))


def test_delete_versions_of_no_version_id_deletes_nothing(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1")
    before = state(store)
    with pytest.raises(InvalidSpecError):
        store.delete_versions(["p/clf:v0", "not a version"], by="gc")
    assert state(store) == before


def test_removed_versions_leave_the_content_index(store: MetadataStore) -> None:
    commit(store, "clf", "d0", content=(("blob", "a.bin"),))
    commit(store, "clf", "d1", content=(("blob", "b.bin"),))
    store.delete_versions(["p/clf:v0"], by="gc")
    assert store.find_content("blob") == [("p/clf:v1", "b.bin")]


def test_retention_policy_is_kept(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    store.set_retention("p", "clf", {"keep_last": 2, "keep_best": None, "metric": None, "mode": "max"})
    assert store.collection("p", "clf").retention["keep_last"] == 2
    store.set_retention("p", "clf", None)
    assert store.collection("p", "clf").retention is None
    with pytest.raises(NotFoundError):
        store.set_retention("p", "nope", {"keep_last": 1})


def test_gc_generation_and_stale_commits(store: MetadataStore) -> None:
    g0 = store.gc_generation()
    assert isinstance(g0, int)
    calls: list[str] = []
    assert store.collect(lambda: ["x", "y"], calls.append) == ["x", "y"] and calls == ["x", "y"]
    g1 = store.gc_generation()
    assert g1 > g0
    before = state(store)
    with pytest.raises(StaleGeneration) as e:
        store.commit_version(version("clf", "d0"), ["best"], by="t", gc_generation=g0)
    assert e.value.current == g1
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    before = state(store)
    with pytest.raises(StaleGeneration):
        store.finish_run(RunRecord(project="p", id="r1", name="r1", state="finished"), gc_generation=g0)
    assert state(store) == before and store.get_run("p", "r1").state == "running"
    store.finish_run(RunRecord(project="p", id="r1", name="r1", state="finished"), gc_generation=g1)
    assert store.get_run("p", "r1").state == "finished"
    assert store.commit_version(version("clf", "d0"), [], by="t", gc_generation=g1).created


def test_a_failing_collection_raises_and_leaves_the_store_usable(store: MetadataStore) -> None:
    def boom() -> list[str]:
        raise OSError("storage down")

    with pytest.raises(OSError, match="storage down"):
        store.collect(boom, lambda d: None)
    assert commit(store, "clf", "d0").created  # with the generation as it is now


# -- runs ------------------------------------------------------------------------------------------
def test_runs_save_get_find_and_list(store: MetadataStore) -> None:
    r = RunRecord(project="p", id="r1", name="first", config={"lr": 0.1}, tags=("a",), started_at="t0",
                  extra={"future_field": 1})
    store.save_run(r)
    assert store.get_run("p", "r1") == r
    store.save_run(r.replace(state="finished", summary={"acc": 1.0}))
    assert store.get_run("p", "r1").summary == {"acc": 1.0}
    store.save_run(RunRecord(project="q", id="r1", name="other"))
    store.save_run(RunRecord(project="p", id="r2", name="second"))
    assert sorted(x.project for x in store.find_runs("r1")) == ["p", "q"]
    assert sorted(x.id for x in store.runs("p")) == ["r1", "r2"] and len(store.runs()) == 3
    with pytest.raises(NotFoundError, match="r9"):
        store.get_run("p", "r9")
    assert store.find_runs("r9") == []


def test_use_version_checks_the_version(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    assert store.use_version("p", "r1", "p/clf:v0").inputs == ("p/clf:v0",)
    assert store.use_version("p", "r1", "p/clf:v0").inputs == ("p/clf:v0",)
    assert store.get_run("p", "r1").inputs == ("p/clf:v0",)
    before = state(store)
    with pytest.raises(NotFoundError, match="p/clf:v5"):
        store.use_version("p", "r1", "p/clf:v5")
    with pytest.raises(NotFoundError):
        store.use_version("p", "nope", "p/clf:v0")
    assert state(store) == before


def test_live_history_append_read_drop(store: MetadataStore) -> None:
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    assert store.read_history("p", "r1") == b""
    store.append_history("p", "r1", b'{"step":0}\n')
    store.append_history("p", "r1", b'{"step":1}\n{"step":2}\n')
    assert store.read_history("p", "r1") == b'{"step":0}\n{"step":1}\n{"step":2}\n'
    store.drop_history("p", "r1")
    assert store.read_history("p", "r1") == b""


# -- registered models ----------------------------------------------------------------------------
def test_create_get_update_models(store: MetadataStore) -> None:
    m = store.create_model(ModelRecord("reg", description="d", model_card="# card", tags=("b", "a"), created_by="ann"))
    assert (m.name, m.description, m.model_card, set(m.tags), m.count, m.latest) == ("reg", "d", "# card", {"a", "b"}, 0, None)
    with pytest.raises(AlreadyExistsError, match="reg"):
        store.create_model(ModelRecord("reg"))
    store.create_model(ModelRecord("alpha"))
    assert [x.name for x in store.models()] == ["alpha", "reg"]
    u = store.update_model("reg", model_card="# new")
    assert (u.description, u.model_card) == ("d", "# new")
    assert set(store.update_model("reg", tags=["x"]).tags) == {"x"}
    with pytest.raises(NotFoundError, match=r"(?s)nope.*alpha.*reg"):
        store.get_model("nope")
    with pytest.raises(NotFoundError):
        store.update_model("nope", description="x")


def test_link_creates_the_model_and_relinking_only_moves_aliases(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1")
    first = store.link("reg", "p/clf:v0", aliases=["staging"], by="ann")
    assert (first.version.version, first.version.artifact, first.version.digest, first.created) == (0, "p/clf:v0", "d0", True)
    second = store.link("reg", "p/clf:v1", aliases=["staging"], by="ann")
    assert second.version.version == 1 and second.moved[0].from_version == 0
    again = store.link("reg", "p/clf:v0", aliases=["staging", "prod"], by="bob")
    assert (again.version.version, again.created) == (0, False)
    assert {e.alias for e in again.moved} == {"staging", "prod"}
    m = store.get_model("reg")
    assert (m.count, m.latest, dict(m.aliases)) == (2, 1, {"staging": 0, "prod": 0})
    assert [v.artifact for v in store.model_versions("reg")] == ["p/clf:v0", "p/clf:v1"]
    before = state(store)
    with pytest.raises(NotFoundError, match="p/clf:v9"):
        store.link("reg", "p/clf:v9", aliases=["prod"], by="t")
    with pytest.raises(NotFoundError):
        store.link("newmodel", "p/clf:v9", aliases=[], by="t")
    assert state(store) == before
    with pytest.raises(NotFoundError):
        store.get_model("newmodel")


def test_model_aliases_history_and_tags(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1")
    store.link("reg", "p/clf:v0", aliases=[], by="t")
    store.link("reg", "p/clf:v1", aliases=[], by="t")
    e = store.move_model_alias("reg", "prod", 0, by="ann")
    assert (e.model, e.alias, e.from_version, e.to_version) == ("reg", "prod", None, 0)
    assert store.move_model_alias("reg", "prod", 0, by="ann") is None
    store.move_model_alias("reg", "prod", 1, by="ann")
    before = state(store)
    with pytest.raises(NotFoundError, match=r"(?s)v5.*v0.*v1"):
        store.move_model_alias("reg", "prod", 5, by="ann")
    with pytest.raises(InvalidSpecError):
        store.remove_model_alias("reg", "prod", by="ann", version=0)
    with pytest.raises(NotFoundError):
        store.remove_model_alias("reg", "staging", by="ann")
    with pytest.raises(InvalidNameError):
        store.move_model_alias("reg", "latest", 0, by="ann")
    assert state(store) == before
    store.remove_model_alias("reg", "prod", by="ann", version=1)
    history = store.model_history("reg")
    assert [(h.from_version, h.to_version) for h in history] == [(None, 0), (0, 1), (1, None)]
    assert replay(history) == dict(store.get_model("reg").aliases) == {}
    tagged = store.set_model_version_tag("reg", 1, "reviewed", "yes")
    assert tagged.tags == {"reviewed": "yes"} and store.model_versions("reg")[1].tags == {"reviewed": "yes"}
    assert store.set_model_version_tag("reg", 1, "reviewed", None).tags == {}
    with pytest.raises(NotFoundError):
        store.set_model_version_tag("reg", 9, "k", "v")
    with pytest.raises(NotFoundError):
        store.model_history("nope")


# -- the outbox ------------------------------------------------------------------------------------
def test_events_are_written_with_the_move_in_order(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1")
    store.link("reg", "p/clf:v0", aliases=["staging"], by="ann")
    store.link("reg", "p/clf:v1", aliases=[], by="ann")
    store.move_model_alias("reg", "prod", 1, by="bob")
    store.remove_model_alias("reg", "staging", by="bob")
    with pytest.raises(NotFoundError):
        store.move_model_alias("reg", "prod", 7, by="bob")  # refused: announces nothing
    events = store.events()
    assert [(e.kind, e.alias, e.from_version, e.to_version) for e in events] == [
        ("link", None, None, 0), ("alias", "staging", None, 0), ("link", None, None, 1),
        ("alias", "prod", None, 1), ("alias", "staging", 0, None)]
    assert all(e.model == "reg" for e in events) and events[0].artifact == "p/clf:v0"
    ids = [e.id for e in events]
    assert ids == sorted(set(ids))
    assert [e.id for e in store.events(after=ids[1])] == ids[2:]
    assert [e.id for e in store.events(after=ids[0], limit=2)] == ids[1:3]
    assert store.events(after=ids[-1]) == []


def test_deliveries_newest_per_event_and_hook(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    store.link("reg", "p/clf:v0", aliases=["prod"], by="ann")
    store.link("other", "p/clf:v0", aliases=[], by="ann")
    e_link, e_alias, e_other = (e.id for e in store.events())
    store.record_delivery(Delivery(e_alias, "deploy", "failed", 1, "t1", "exit 1", "w@h", "reg"))
    store.record_delivery(Delivery(e_alias, "deploy", "delivered", 2, "t2", "exit 0", "w@h", "reg"))
    store.record_delivery(Delivery(e_link, "notify", "delivered", 1, "t3", "200", "w@h", "reg"))
    store.record_delivery(Delivery(e_alias, "notify", "gave_up", 5, "t4", "500", "w@h", "reg"))
    store.record_delivery(Delivery(e_other, "notify", "delivered", 1, "t5", "200", "w@h", "other"))
    got = [(d.event, d.hook, d.status, d.attempts) for d in store.deliveries("reg")]
    assert got == [(e_link, "notify", "delivered", 1), (e_alias, "deploy", "delivered", 2), (e_alias, "notify", "gave_up", 5)]
    assert len(store.deliveries()) == 4 and store.deliveries("nobody") == []


# -- change feed and generation --------------------------------------------------------------------
def test_changes_since_never_misses_a_change(store: MetadataStore) -> None:
    changes, cursor = store.changes_since(None)
    assert changes == []
    commit(store, "clf", "d0")
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    store.link("reg", "p/clf:v0", aliases=[], by="t")
    everything, _ = store.changes_since(None)
    assert {(c.kind, c.key) for c in everything} >= {("collection", "p/clf"), ("run", "p/r1"), ("model", "reg")}
    got, cursor2 = store.changes_since(cursor)
    assert {(c.kind, c.key) for c in got} >= {("collection", "p/clf"), ("run", "p/r1"), ("model", "reg")}
    steps = [lambda: store.move_alias("p", "clf", "best", 0, by="t"), lambda: store.use_version("p", "r1", "p/clf:v0"),
             lambda: store.move_model_alias("reg", "prod", 0, by="t"), lambda: commit(store, "new", "n0"),
             lambda: store.delete_versions(["p/clf:v0"], by="t")]
    keys = [("collection", "p/clf"), ("run", "p/r1"), ("model", "reg"), ("collection", "p/new"), None]
    for step, key in zip(steps, keys):
        step()
        got, cursor2 = store.changes_since(cursor2)
        if key is not None:
            assert key in {(c.kind, c.key) for c in got}


def test_generation_grows_with_every_write(store: MetadataStore) -> None:
    commit(store, "clf", "d0")
    commit(store, "clf", "d1")
    store.save_run(RunRecord(project="p", id="r1", name="r1"))
    writes = [lambda: commit(store, "clf", "d2"), lambda: store.move_alias("p", "clf", "a", 0, by="t"),
              lambda: store.remove_alias("p", "clf", "a", by="t"),
              lambda: store.update_version("p", "clf", 1, description="x", metadata={}, aliases=[], by="t"),
              lambda: store.set_retention("p", "clf", {"keep_last": 1}),
              lambda: store.delete_versions(["p/clf:v0"], by="t"),
              lambda: store.save_run(RunRecord(project="p", id="r2", name="r2")),
              lambda: store.use_version("p", "r1", "p/clf:v1"),
              lambda: store.append_history("p", "r1", b"{}\n"),
              lambda: store.create_model(ModelRecord("reg")), lambda: store.link("reg", "p/clf:v1", aliases=[], by="t"),
              lambda: store.move_model_alias("reg", "prod", 0, by="t"),
              lambda: store.update_model("reg", description="d")]
    last = store.generation()
    for i, write in enumerate(writes):
        write()
        now = store.generation()
        assert now > last, f"write {i} did not advance the generation"
        last = now


def test_predictions_append_and_read_in_order(store: MetadataStore) -> None:
    assert store.predictions("p/clf:v0") == []
    store.append_predictions("p/clf:v0", [{"i": 0, "y": 0.5}, {"i": 1, "y": [1, 2]}])
    store.append_predictions("p/clf:v0", [{"i": 2}])
    store.append_predictions("p/clf:v1", [{"i": 99}])
    assert store.predictions("p/clf:v0") == [{"i": 0, "y": 0.5}, {"i": 1, "y": [1, 2]}, {"i": 2}]


def test_describe_names_the_backend(store: MetadataStore) -> None:
    d = store.describe()
    assert d["url"] == store.url and d["backend"] == type(store).__name__ and d["read_only"] is False


# -- racing real processes --------------------------------------------------------------------------
def test_concurrent_writers_get_unique_gapless_numbers(shared_spec: dict[str, Any]) -> None:
    writers, each = 8 * STRESS, 5 * STRESS
    results = race([(commit_many, (shared_spec, w, each)) for w in range(writers)])
    numbers = sorted(n for r in results for n in r)
    assert numbers == list(range(writers * each))
    for r in results:
        assert r == sorted(r)  # one writer's versions come in its own order
    store = open_backend(shared_spec)
    try:
        coll = store.collection("p", "race")
        assert (coll.count, coll.latest) == (writers * each, writers * each - 1)
        assert replay(store.alias_history("p", "race")) == dict(coll.aliases)
    finally:
        store.close()


def _setup_pool(spec: dict[str, Any], n: int) -> list[str]:
    store = open_backend(spec)
    try:
        return [store.commit_version(version("pool", f"d{i}"), [], by="t", gc_generation=store.gc_generation()).version.id
                for i in range(n)]
    finally:
        store.close()


def test_alias_moves_racing_deletes_never_leave_an_alias_on_a_deleted_version(shared_spec: dict[str, Any]) -> None:
    ids = _setup_pool(shared_spec, 12)
    numbers, seconds = list(range(11)), 1.5 * STRESS  # never the newest (it is never deleted)
    *moved, removed = race([(move_aliases, (shared_spec, f"a{i}", numbers, seconds, i)) for i in range(2)]
                           + [(delete_randomly, (shared_spec, ids[:-1], seconds, 7))])
    assert sum(d for d, _ in moved) > 0 and removed, (moved, removed)
    store = open_backend(shared_spec)
    try:
        coll = store.collection("p", "pool")
        live = {v.version for v in store.versions("p", "pool")}
        assert set(coll.aliases.values()) <= live
        assert not {f"p/pool:v{n}" for n in live} & set(removed)
        assert replay(store.alias_history("p", "pool")) == dict(coll.aliases)
    finally:
        store.close()


def test_links_racing_deletes_never_link_a_deleted_version(shared_spec: dict[str, Any]) -> None:
    ids = _setup_pool(shared_spec, 40)  # enough that the linker cannot protect them all before a delete
    seconds = 1.5 * STRESS
    linked, removed = race([(link_versions, (shared_spec, "reg", ids[:-1], seconds, 1)),
                            (delete_randomly, (shared_spec, ids[:-1], seconds, 2))])
    assert linked[0] > 0 and removed
    store = open_backend(shared_spec)
    try:
        live = {v.id for v in store.versions("p", "pool")}
        artifacts = [mv.artifact for mv in store.model_versions("reg")]
        assert set(artifacts) <= live and not set(artifacts) & set(removed)
        assert [mv.version for mv in store.model_versions("reg")] == list(range(len(artifacts)))
    finally:
        store.close()


def test_commits_racing_collections_keep_every_needed_blob(shared_spec: dict[str, Any], tmp_path: Any) -> None:
    blobs, log = tmp_path / "blobs", tmp_path / "gc.log"
    blobs.mkdir()
    seconds = 1.5 * STRESS
    results = race([(commit_with_blobs, (shared_spec, str(blobs), seconds, 8, i)) for i in range(3)]
                   + [(collect_loop, (shared_spec, str(blobs), seconds, str(log))) for _ in range(2)])
    commits, stale = (sum(r[i] for r in results[:3]) for i in (0, 1))
    deleted, violations = sum(r[0] for r in results[3:]), [b for r in results[3:] for b in r[1]]
    assert not violations, f"blobs deleted while a committed version named them: {violations}"
    store = open_backend(shared_spec)
    try:
        for v in store.versions("p", "blobs"):
            assert (blobs / v.manifest).exists(), f"{v.id} names blob {v.manifest}, which a collection deleted"
    finally:
        store.close()
    assert deleted > 0, "the collectors never deleted anything: the race was not exercised"
    # collections never overlap: each critical section ends before the next one starts
    marks = [line.split() for line in log.read_text().splitlines()]
    assert [m[0] for m in marks] == ["start", "end"] * (len(marks) // 2)
    times = [float(m[1]) for m in marks]
    assert times == sorted(times)
    print(f"commits: {commits}, stale commits retried: {stale}, blobs collected: {deleted}, "
          f"collections: {len(marks) // 2}")


def test_removed_versions_are_the_audit_of_every_removal(store: MetadataStore) -> None:
    for i in range(4):
        commit(store, "clf", f"d{i}")
    out = store.delete_versions(["p/clf:v1", "p/clf:v0"], by="gc")
    assert all(r.removed for r in out)
    gone = store.removed_versions("p", "clf")
    assert [(r.id, r.removed, r.digest) for r in gone] == [("p/clf:v0", True, "d0"), ("p/clf:v1", True, "d1")]
    live = {v.version for v in store.versions("p", "clf")}
    assert live | {int(r.id.rsplit(":v", 1)[1]) for r in gone} == set(range(4)), "every number: live or removed"
    with pytest.raises(NotFoundError):
        store.removed_versions("p", "nope")
