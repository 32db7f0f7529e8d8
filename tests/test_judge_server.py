"""The remote backend against llama-cpp-python's own OpenAI-compatible server, on the
bundled model, compared with the in-process judge on the same pairs."""

from __future__ import annotations

import pytest
from judge_fixtures import sample_pairs
from processes import MODEL_THREADS

from judge import JudgeSettings, load_backend, run_judge

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def server_url(llama_server_url):
    return llama_server_url


@pytest.fixture(scope="module")
def pairs():
    return sample_pairs(limit=4)


def judge(pairs, settings, **kwargs):
    results = []
    summary = run_judge(pairs, settings, on_result=results.append, **kwargs)
    return summary, {j.pair_id: j for j in results}


def test_completions_logprobs_match_the_in_process_judge(server_url, pairs):
    remote = JudgeSettings(
        backend="openai",
        model="default",
        base_url=server_url,
        endpoint="completions",
        timeout_s=120,
    )
    summary, served = judge(pairs, remote)
    assert (summary.judged, summary.errors) == (len(pairs), 0)

    local = JudgeSettings(n_threads=MODEL_THREADS)
    backend = load_backend(local)
    try:
        _, in_process = judge(pairs, local, backend=backend)
    finally:
        backend.close()
    for pair_id, judgment in served.items():
        assert judgment.parse_status == "logprobs"
        assert sum(judgment.probs) == pytest.approx(1.0)
        # Logprob answers are streamed, and llama-cpp-python's stream carries no usage.
        assert (judgment.prompt_tokens, judgment.completion_tokens) == (None, None)
        # Same model, same tokens; but the server keeps llama.cpp's repacked weight buffers,
        # whose kernels round differently (see judge/_llama.py), and sees only the top 20
        # alternatives: close, not equal (0.04 apart at most when this test was written).
        assert judgment.probs == pytest.approx(in_process[pair_id].probs, abs=0.08)


def test_chat_generation_keeps_raw_text_and_token_counts(server_url, pairs):
    remote = JudgeSettings(
        backend="openai",
        model="default",
        base_url=server_url,
        mode="generate",
        max_tokens=24,
        timeout_s=120,
    )
    summary, served = judge(pairs[:2], remote)
    assert (summary.judged, summary.errors) == (2, 0)
    for judgment in served.values():
        # A 270M base model rarely follows the format: whatever it says is kept and classified.
        assert judgment.parse_status in {"strict", "fallback", "unparsed"}
        assert (judgment.grade is None) == (judgment.parse_status == "unparsed")
        assert judgment.raw_output.strip()
        assert judgment.prompt_tokens > 100 and 0 < judgment.completion_tokens <= 24
