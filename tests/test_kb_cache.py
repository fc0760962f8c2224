"""The disk cache of checked knowledge bases: a hit is the same knowledge base; anything doubtful
is a miss that rebuilds from source."""

from __future__ import annotations

import os
import shutil

import pytest

import knowledge_base
from dsl.kb import content_hash, load_knowledge_base
from knowledge_base import cache


@pytest.fixture
def kb_dir(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(knowledge_base.BUNDLED, target)
    return target


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(directory))
    monkeypatch.delenv("GROUNDWORK_NO_CACHE", raising=False)
    return directory


class CountingBuild:
    def __init__(self):
        self.calls = 0

    def __call__(self, root, display):
        self.calls += 1
        return load_knowledge_base(root, display)


def _load(kb_dir, build, display="kb"):
    return cache.load(str(kb_dir), display, content_hash(kb_dir), build)


def test_second_load_is_a_hit_and_equal(kb_dir, cache_dir):
    build = CountingBuild()
    first = _load(kb_dir, build)
    second = _load(kb_dir, build)
    assert build.calls == 1
    assert second == first
    assert second.rules == first.rules and second.interventions == first.interventions
    assert [p.name for p in cache_dir.iterdir()] and oct(cache_dir.stat().st_mode & 0o777) == "0o700"


def test_changed_knowledge_base_is_a_miss(kb_dir, cache_dir):
    build = CountingBuild()
    _load(kb_dir, build)
    (kb_dir / "00-model.gw").write_text((kb_dir / "00-model.gw").read_text() + "\n# edited\n")
    _load(kb_dir, build)
    assert build.calls == 2


def test_another_display_name_is_another_entry(kb_dir, cache_dir):
    build = CountingBuild()
    _load(kb_dir, build, "one")
    assert _load(kb_dir, build, "two").files[0].path.startswith("two/")
    assert build.calls == 2


def test_same_content_elsewhere_is_another_entry(kb_dir, cache_dir, tmp_path):
    copy = shutil.copytree(kb_dir, tmp_path / "copy")
    build = CountingBuild()
    _load(kb_dir, build)
    assert _load(copy, build).root == str(copy)  # never the other directory's path
    assert build.calls == 2


def _only_file(cache_dir):
    (path,) = [p for p in cache_dir.iterdir() if p.suffix == ".pickle"]
    return path


def test_corrupt_file_is_a_miss_and_is_replaced(kb_dir, cache_dir):
    build = CountingBuild()
    _load(kb_dir, build)
    path = _only_file(cache_dir)
    path.write_bytes(path.read_bytes()[:-40])  # truncated
    assert _load(kb_dir, build).rules
    assert build.calls == 2
    _load(kb_dir, build)
    assert build.calls == 2  # the rebuilt entry is good again


def test_header_with_another_key_is_never_unpickled(kb_dir, cache_dir):
    build = CountingBuild()
    _load(kb_dir, build)
    path = _only_file(cache_dir)
    lines = path.read_bytes().split(b"\n", 2)
    # the key line names another knowledge base; the body would fail loudly if it were loaded
    path.write_bytes(lines[0] + b"\n" + b"0" * 64 + lines[1][64:] + b"\nnot a pickle")
    _load(kb_dir, build)
    assert build.calls == 2


def test_file_others_can_write_is_not_trusted(kb_dir, cache_dir):
    build = CountingBuild()
    _load(kb_dir, build)
    path = _only_file(cache_dir)
    os.chmod(path, 0o666)
    _load(kb_dir, build)
    assert build.calls == 2


def test_no_cache_switch_writes_nothing(kb_dir, cache_dir, monkeypatch):
    monkeypatch.setenv("GROUNDWORK_NO_CACHE", "1")
    build = CountingBuild()
    _load(kb_dir, build)
    _load(kb_dir, build)
    assert build.calls == 2 and not cache_dir.exists()


def test_unwritable_cache_directory_is_skipped_silently(kb_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GROUNDWORK_CACHE_DIR", str(blocker / "cache"))
    build = CountingBuild()
    assert _load(kb_dir, build).rules
    assert build.calls == 1


def test_knowledge_base_with_errors_is_not_cached(kb_dir, cache_dir):
    from dsl.errors import GroundworkError

    rules = kb_dir / "10-regulate.gw"
    rules.write_text(rules.read_text().replace("brainstem.band >=", "brainstom.band >=", 1))
    for _ in range(2):
        with pytest.raises(GroundworkError, match="unknown region 'brainstom'"):
            _load(kb_dir, CountingBuild())
    assert not cache_dir.exists() or not list(cache_dir.glob("*.pickle"))


def test_only_the_newest_entries_are_kept(kb_dir, cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    build = CountingBuild()
    for display in ("one", "two", "three"):
        _load(kb_dir, build, display)
    assert len(list(cache_dir.glob("*.pickle"))) == 2
    _load(kb_dir, build, "three")
    assert build.calls == 3  # the newest is still there
