"""Run folders: runs never clobber each other, interrupted runs resume only
with the same config, and concurrent runs do not share state."""

import dataclasses
import json

import pytest

from applications.run_folders import PARTIAL, RunFolder, latest_run


@dataclasses.dataclass
class Config:
    learning_rate: float = 0.1
    verbose: int = 0
    output_dir: str = "runs/x"


def finished_run(root, config, content="done"):
    with RunFolder(root, config, log=lambda m: None) as folder:
        (folder.path / "result.txt").write_text(content)
        return folder.finish(folder.final_name(True))


def test_a_finished_run_gets_its_own_folder_and_becomes_latest(tmp_path):
    first = finished_run(tmp_path, Config(), "first")
    second = finished_run(tmp_path, Config(), "second")
    assert first != second and first.parent == second.parent == tmp_path
    assert latest_run(tmp_path) == second.resolve()
    assert (first / "result.txt").read_text() == "first"  # untouched
    assert not (tmp_path / PARTIAL).exists()


def test_an_interrupted_run_resumes_with_the_same_config(tmp_path):
    messages = []
    with pytest.raises(KeyboardInterrupt):
        with RunFolder(tmp_path, Config(), log=messages.append) as folder:
            (folder.path / "checkpoint").write_text("epoch 3")
            raise KeyboardInterrupt
    assert (tmp_path / PARTIAL / "checkpoint").read_text() == "epoch 3"
    # verbose does not change what a run computes: still the same run.
    with RunFolder(tmp_path, Config(verbose=2), log=messages.append) as folder:
        assert folder.resumed
        assert (folder.path / "checkpoint").read_text() == "epoch 3"
    assert any("resuming" in m for m in messages)


def test_a_changed_config_starts_afresh_and_says_what_changed(tmp_path):
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path, Config(), log=lambda m: None) as folder:
            (folder.path / "checkpoint").write_text("epoch 3")
            raise RuntimeError("killed")
    messages = []
    with RunFolder(tmp_path, Config(learning_rate=0.2), log=messages.append) as folder:
        assert not folder.resumed
        assert not (folder.path / "checkpoint").exists()
    assert any("learning_rate: 0.1 -> 0.2" in m for m in messages)


def test_fresh_discards_the_interrupted_state(tmp_path):
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path, Config(), log=lambda m: None) as folder:
            (folder.path / "checkpoint").write_text("epoch 3")
            raise RuntimeError("killed")
    with RunFolder(tmp_path, Config(), fresh=True, log=lambda m: None) as folder:
        assert not folder.resumed
        assert not (folder.path / "checkpoint").exists()


def test_a_failed_run_is_kept_apart_and_latest_stays(tmp_path):
    good = finished_run(tmp_path, Config(), "good")
    with RunFolder(tmp_path, Config(), log=lambda m: None) as folder:
        final = folder.finish(folder.final_name(False))
    assert final.name.startswith("failed-")
    assert latest_run(tmp_path) == good.resolve()
    assert (good / "result.txt").read_text() == "good"


def test_a_concurrent_run_trains_in_its_own_folder(tmp_path):
    messages = []
    with RunFolder(tmp_path, Config(), log=lambda m: None) as first:
        (first.path / "checkpoint").write_text("first's")
        with RunFolder(tmp_path, Config(), log=messages.append) as second:
            assert second.path != first.path
            assert not second.resumed
            (second.path / "checkpoint").write_text("second's")
            second.finish(second.final_name(True))
        assert (first.path / "checkpoint").read_text() == "first's"
        first.finish(first.final_name(True))
    assert any("another run" in m for m in messages)
    runs = [p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 2


def test_the_state_file_records_the_config(tmp_path):
    with RunFolder(tmp_path, Config(learning_rate=0.3), log=lambda m: None) as folder:
        state = json.loads((folder.path / "run.json").read_text())
    assert state["config"]["learning_rate"] == 0.3
