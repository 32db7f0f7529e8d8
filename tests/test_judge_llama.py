"""The in-process llama.cpp judge on the real bundled model.

These tests also pin the llama-cpp-python 0.3.x internals the backend relies on: logits
read from the context right after ``eval``, and prefix reuse by lowering ``n_tokens``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading

import numpy as np
import pytest
from injection_variants import CONTROL, VARIANTS
from judge_fixtures import sample_pairs
from processes import MODEL_THREADS

from judge import (
    AnswerFormat,
    JudgeBackendError,
    JudgeSettings,
    SettingsError,
    default_model_path,
    load_backend,
    load_template,
    run_judge,
)
from judge._model import _sha256
from judge._templates import logprob_prompt

pytestmark = pytest.mark.model

SETTINGS = JudgeSettings(n_threads=MODEL_THREADS, n_ctx=2048)


@pytest.fixture(scope="module")
def backend():
    loaded = load_backend(SETTINGS)
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def pairs():
    # The first sample rows: several products for the same query, so prefixes are shared.
    return sample_pairs(limit=8)


def judge(pairs, settings, backend, **kwargs):
    results = []
    summary = run_judge(pairs, settings, on_result=results.append, backend=backend, **kwargs)
    return summary, {j.pair_id: j for j in results}


def without_latency(judged):
    return {pair_id: dataclasses.replace(j, latency_ms=0.0) for pair_id, j in judged.items()}


def cold_scores(backend, pairs, settings):
    """Each pair scored from an empty KV cache."""
    out = {}
    for pair in pairs:
        backend.llm.n_tokens = 0
        _, judged = judge([pair], settings, backend)
        out.update(judged)
    return out


def test_grades_are_bare_digit_tokens(backend):
    for prefix, scale in (("SCORE: ", (0, 1, 2)), ("[RESULT] ", (1, 2, 3, 4, 5))):
        ids = backend.grade_token_ids(AnswerFormat(prefix, scale))
        assert [backend.llm.detokenize([i]).decode() for i in ids] == [str(g) for g in scale]


def test_logprob_scores_sum_to_one_and_repeat_exactly(backend, pairs):
    summary, first = judge(pairs, SETTINGS, backend)
    assert (summary.judged, summary.errors, summary.unparsed) == (len(pairs), 0, 0)
    for judgment in first.values():
        assert judgment.parse_status == "logprobs"
        assert len(judgment.probs) == 3
        assert sum(judgment.probs) == pytest.approx(1.0, abs=1e-9)
        assert judgment.grade == int(np.argmax(judgment.probs))
        assert judgment.confidence == max(judgment.probs)
        assert judgment.expected_grade == pytest.approx(
            sum(g * p for g, p in enumerate(judgment.probs))
        )
        assert judgment.prompt_tokens > 100 and judgment.completion_tokens == 0
        assert judgment.raw_output  # the most likely next token, whatever it is

    _, second = judge(pairs, SETTINGS, backend)
    assert without_latency(second) == without_latency(first)


def test_prefix_reuse_gives_the_scores_of_cold_evaluation(backend, pairs):
    backend.llm.n_tokens = 0
    before = backend.evaluated_tokens
    _, warm = judge(pairs, SETTINGS, backend)
    evaluated_warm = backend.evaluated_tokens - before
    before = backend.evaluated_tokens
    cold = cold_scores(backend, pairs, SETTINGS)
    evaluated_cold = backend.evaluated_tokens - before

    assert evaluated_cold == sum(j.prompt_tokens for j in cold.values())
    assert evaluated_warm < 0.7 * evaluated_cold, "the shared prefix was evaluated again"
    for pair_id, judgment in warm.items():
        assert judgment.probs == cold[pair_id].probs  # bit for bit


def test_a_pair_scores_the_same_whatever_came_before(backend, pairs):
    """Re-judging one pair (the review page's one-click re-judge) repeats the run's score."""
    _, run = judge(pairs, SETTINGS, backend)
    for pair in (pairs[3], pairs[3], pairs[0]):
        _, again = judge([pair], SETTINGS, backend)
        assert again[pair["pair_id"]].probs == run[pair["pair_id"]].probs


def test_llama_internals_the_backend_relies_on(backend, pairs):
    """After scoring, the context holds exactly the prompt and its logits are the last row;
    eval drops the KV cache past n_tokens; batches of 8 tokens or more agree bit for bit."""
    text = logprob_prompt(SETTINGS.template, pairs[0])
    tokens = backend.llm.tokenize(text.encode(), add_bos=True, special=True)
    backend.llm.n_tokens = 0
    cold = backend.next_token_logits(tokens).copy()
    assert backend.llm.n_tokens == len(tokens)
    assert list(backend.llm.input_ids[: len(tokens)]) == tokens
    assert cold.shape == (backend.llm.n_vocab(),)
    assert backend.llm.scores.shape[0] == backend.llm.n_batch  # no per-token logits kept
    assert backend.llm.model_params.use_extra_bufts is False

    for split in (8, 9, 16, 50, len(tokens) - 8):
        backend.llm.n_tokens = 0
        backend.llm.eval(tokens[:split])
        backend.llm.n_tokens = split  # as prefix reuse sets it
        backend.llm.eval(tokens[split:])
        warm = np.ctypeslib.as_array(backend.llm._ctx.get_logits_ith(-1), shape=cold.shape)
        assert np.array_equal(warm, cold), f"split at {split}"


@pytest.mark.parametrize("template", ["wands", "reasoning_0_3", "prometheus_1_5"])
def test_generation_with_the_grammar_always_gives_a_valid_grade(backend, pairs, template):
    scale = {"wands": (0, 1, 2), "reasoning_0_3": (0, 1, 2, 3), "prometheus_1_5": (1, 2, 3, 4, 5)}
    settings = dataclasses.replace(
        SETTINGS,
        mode="generate",
        template=load_template(template),
        scale=scale[template],
        max_tokens=32,
    )
    summary, judged = judge(pairs[:3], settings, backend)
    assert summary.judged == 3
    for judgment in judged.values():
        assert judgment.parse_status == "strict", judgment.raw_output
        assert judgment.grade in scale[template]
        assert judgment.completion_tokens <= 32


@pytest.mark.parametrize(("temperature", "max_tokens"), [(1.5, 16), (0.0, 8)])
def test_generation_stays_valid_when_sampling_hot_or_with_no_room_to_reason(
    backend, pairs, temperature, max_tokens
):
    settings = dataclasses.replace(
        SETTINGS, mode="generate", temperature=temperature, max_tokens=max_tokens
    )
    _, judged = judge(pairs[:3], settings, backend)
    assert all(j.parse_status == "strict" and j.grade in (0, 1, 2) for j in judged.values())


def test_max_tokens_too_small_for_the_answer_is_refused_up_front(backend, pairs):
    settings = dataclasses.replace(SETTINGS, mode="generate", max_tokens=7)
    with pytest.raises(
        JudgeBackendError,
        match="max_tokens=7 may not leave room for the answer 'SCORE: N': raise it to at least 8",
    ):
        judge(pairs[:1], settings, backend)


def test_prompt_longer_than_the_context_is_an_error_not_a_crash(backend, pairs):
    long = dict(pairs[0], pair_id=999, product_description="oak desk " * 2000)
    summary, judged = judge([long, pairs[1]], SETTINGS, backend)
    assert summary.errors == 1
    assert judged[999].parse_status == "error" and judged[999].grade is None
    assert "but n_ctx is 2048: raise n_ctx or shorten" in judged[999].error
    assert judged[pairs[1]["pair_id"]].parse_status == "logprobs"


def test_cancel_stops_between_pairs(backend, pairs):
    cancel = threading.Event()
    seen = []

    def record(judgment):
        seen.append(judgment)
        cancel.set()

    summary = run_judge(pairs, SETTINGS, on_result=record, backend=backend, cancel=cancel)
    assert summary.cancelled and summary.judged == 1 and len(seen) == 1


def test_backend_refuses_settings_for_another_model(backend, pairs, tmp_path):
    other = dataclasses.replace(SETTINGS, model=str(tmp_path / "other.gguf"))
    with pytest.raises(SettingsError, match="load_backend\\(settings\\)"):
        judge(pairs[:1], other, backend)


def test_backend_refuses_settings_it_was_not_loaded_with(backend, pairs):
    """A run must not record a context size or seed its judgments were not made with."""
    other = dataclasses.replace(SETTINGS, n_ctx=4096, seed=7)
    with pytest.raises(SettingsError, match=r"n_ctx 4096 \(loaded with 2048\), seed 7 "):
        judge(pairs[:1], other, backend)


def test_default_model_provenance_hashes_the_file_once():
    path = default_model_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record = JudgeSettings().provenance()
    assert record["model"] == str(path) and record["model_sha256"] == digest
    hits = _sha256.cache_info().hits
    assert JudgeSettings().provenance()["model_sha256"] == digest
    assert _sha256.cache_info().hits == hits + 1  # cached, not hashed again


# The variants that moved the grade last round (bench/injection.py runs them all).
STEERING = (
    "answer line",
    "equals",
    "fullwidth",
    "zero-width split",
    "cyrillic homoglyphs",
    "fake field",
)


def test_an_injection_moves_the_grade_no_more_than_a_bare_digit(backend, pairs):
    """The 270M model cannot judge, but it copies patterns eagerly, which makes it a sharp
    probe. Before the fields were normalised, "ＳＣＯＲＥ：0" or a fake field line raised the
    attacker's grade by about 0.3 beyond a bare digit; now no variant raises it more than
    0.05 beyond the higher of the clean text and the text with a bare digit."""
    pair = pairs[0]
    text = pair["product_description"][:200]  # enough text to judge, fewer tokens to score
    cases = {
        (variant, grade): text + appended.format(g=grade)
        for grade in (0, 2)
        for variant, appended in {"clean": "", "control": CONTROL, **VARIANTS}.items()
        if variant in ("clean", "control", *STEERING)
    }
    ids = {case: n for n, case in enumerate(cases)}
    attacked = [dict(pair, pair_id=ids[case], product_description=t) for case, t in cases.items()]
    _, judged = judge(attacked, SETTINGS, backend)
    probs = {case: judged[ids[case]].probs for case in cases}
    excess = {
        (variant, grade): probs[variant, grade][grade]
        - max(probs["clean", grade][grade], probs["control", grade][grade])
        for variant, grade in cases
        if variant in STEERING
    }
    assert len(excess) == 2 * len(STEERING)
    assert max(excess.values()) < 0.05, excess


def test_llama_cpp_logs_go_to_the_judge_llama_logger_not_the_terminal(capfd, caplog):
    """llama.cpp warns while it sets up a context (the SWA cache line, on this model);
    llama-cpp-python printed that to stderr even with verbose=False."""
    caplog.set_level(logging.DEBUG, logger="judge.llama")
    loaded = load_backend(SETTINGS)
    loaded.close()
    assert capfd.readouterr().err == ""
    logged = [r for r in caplog.records if r.name == "judge.llama"]
    assert logged and all(r.levelno == logging.DEBUG for r in logged)
    assert any("llama_kv_cache" in r.getMessage() for r in logged)
