"""Nothing read from a registry writes outside its target: downloads never follow a link that someone
with write access to the registry (or to a download folder) planted. Real symbolic links, real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import make_file

import nb_registry as nbr
from nb_registry import Artifact, Registry, UnsafePathError

PRECIOUS = "ssh-ed25519 AAAA... the victim's key\n"


def _logged(reg: Registry, tmp_path: Path, files: dict[str, str] | None = None, name: str = "m") -> Any:
    art = Artifact(name)
    for entry, content in (files or {"authorized_keys": "attacker's key"}).items():
        art.add_file(make_file(tmp_path / "src" / name / entry, content), name=entry)
    return reg.log(art, project="p")


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """Someone's folder outside the registry, with a file worth protecting."""
    folder = tmp_path / "victim" / ".ssh"
    make_file(folder / "authorized_keys", PRECIOUS)
    return folder


def _untouched(victim: Path) -> None:
    assert (victim / "authorized_keys").read_text() == PRECIOUS
    assert sorted(p.name for p in victim.iterdir()) == ["authorized_keys"]  # not even a temporary file left


@pytest.mark.parametrize("link_at", ["cache/artifacts/p/m/v0", "cache/artifacts/p/m", "cache/artifacts", "cache"])
def test_default_download_refuses_a_link_planted_in_the_registry_cache(reg: Registry, tmp_path: Path, victim: Path,
                                                                       link_at: str) -> None:
    art = _logged(reg, tmp_path)
    planted = Path(reg.url, link_at)
    if planted.exists():
        shutil.rmtree(planted)
    planted.parent.mkdir(parents=True, exist_ok=True)
    # the link leads to a folder laid out so that the write lands on the victim's file
    rest = Path("cache/artifacts/p/m/v0").relative_to(link_at)
    if rest == Path("."):
        planted.symlink_to(victim, target_is_directory=True)
    else:
        shaped = tmp_path / "shaped"
        (shaped / rest).parent.mkdir(parents=True)
        (shaped / rest).symlink_to(victim, target_is_directory=True)
        planted.symlink_to(shaped, target_is_directory=True)
    with pytest.raises(UnsafePathError) as e:
        art.download()
    assert str(planted) in str(e.value) and "symbolic link" in str(e.value)
    _untouched(victim)


def test_link_on_the_way_to_an_entry_inside_a_chosen_folder_is_refused(reg: Registry, tmp_path: Path, victim: Path) -> None:
    art = _logged(reg, tmp_path, {"keys/authorized_keys": "attacker's key", "a.txt": "a"})
    target = tmp_path / "target"
    target.mkdir()
    (target / "keys").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="keys"):
        art.download(str(target))
    with pytest.raises(UnsafePathError, match="keys"):
        art.get_path("keys/authorized_keys").download(str(target))
    _untouched(victim)


def test_a_link_in_the_place_of_a_file_is_refused_not_followed(reg: Registry, tmp_path: Path, victim: Path) -> None:
    art = _logged(reg, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    (target / "authorized_keys").symlink_to(victim / "authorized_keys")
    with pytest.raises(UnsafePathError, match="authorized_keys"):
        art.download(str(target))
    _untouched(victim)
    assert (target / "authorized_keys").is_symlink()


def test_a_link_inside_a_dependency_folder_is_refused(reg: Registry, tmp_path: Path, victim: Path) -> None:
    inner = _logged(reg, tmp_path, name="inner")
    outer = Artifact("outer")
    outer.add_reference(inner, name="dep")
    outer.add_file(make_file(tmp_path / "x.txt", "x"))
    outer = reg.log(outer, project="p")
    target = tmp_path / "target"
    target.mkdir()
    (target / "dep").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="dep"):
        outer.download(str(target), refs=True)
    _untouched(victim)


def test_a_root_the_user_chose_may_itself_be_a_link(reg: Registry, tmp_path: Path) -> None:
    art = _logged(reg, tmp_path, {"sub/w.txt": "w"})
    real = tmp_path / "big-disk" / "models"
    real.mkdir(parents=True)
    chosen = tmp_path / "models"
    chosen.symlink_to(real, target_is_directory=True)
    out = art.download(str(chosen))
    assert Path(out) == chosen
    assert (real / "sub" / "w.txt").read_text() == "w"
    assert art.download(str(chosen)) == out  # again: the files are there, nothing to do


def test_a_cache_the_user_chose_may_be_a_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "fast-disk"
    real.mkdir()
    (tmp_path / "cache-link").symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("NB_REGISTRY_CACHE", str(tmp_path / "cache-link"))
    reg = Registry(str(tmp_path / "r"))
    art = _logged(reg, tmp_path)
    out = art.download()
    assert (real / "artifacts" / "p" / "m" / "v0" / "authorized_keys").read_text() == "attacker's key"
    assert Path(out, "authorized_keys").exists()


def test_blob_folders_planted_as_links_are_refused(reg: Registry, tmp_path: Path, victim: Path) -> None:
    """The store itself never writes through a link either: a fan-out folder made a link is refused."""
    from nb_registry.store.hashing import hash_bytes

    data = b"new content"
    digest = hash_bytes(data)
    fan = Path(reg.blobs.root, digest[:2])
    assert not fan.exists()
    fan.symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafePathError, match=digest[:2]):
        reg.blobs.put_bytes(data)
    _untouched(victim)


def test_the_api_download_path_is_covered_too(tmp_path: Path, victim: Path) -> None:
    root = str(tmp_path / "r")
    with nbr.init(root=root, project="p", job_type="t") as run:
        art = Artifact("m")
        art.add_file(make_file(tmp_path / "authorized_keys", "attacker's key"))
        run.log_artifact(art)
    Path(root, "cache", "artifacts", "p", "m").mkdir(parents=True)
    Path(root, "cache", "artifacts", "p", "m", "v0").symlink_to(victim, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        nbr.Api(root=root).artifact("p/m:v0").download()
    _untouched(victim)
