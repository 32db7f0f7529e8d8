"""The price said before a long action: the count it plans (the same the run then makes)
and the time at the model's measured speed, or unknown until the first batch."""

from __future__ import annotations

import pytest
from app_fixtures import stored_run
from pairwise_fixtures import planned_pairwise_run

import jobs
import judge
import storage
from jobs._price import duration


def _batch(pair_ids: list[int], latency_ms: float) -> list[dict]:
    return [
        {"pair_id": p, "grade": 1, "parse_status": "logprobs", "latency_ms": latency_ms}
        for p in pair_ids
    ]


def _move_batch(db, run_id: int, pair_ids: list[int], after_s: float) -> None:
    """Date the judgments of `pair_ids` `after_s` seconds after the run's first batch."""
    with storage.connect(db) as con:
        con.execute(
            "UPDATE judgments SET created_at = (SELECT min(created_at) FROM judgments "
            "WHERE run_id = $run) + to_microseconds($us) "
            "WHERE run_id = $run AND list_contains($pairs, pair_id)",
            {"run": run_id, "us": int(after_s * 1e6), "pairs": pair_ids},
        )


def _remote_speed(db, model: str = "m.gguf") -> storage.Speed:
    return storage.measured_speed(
        db, storage.RunKind.GRADED, backend="ollama", model=model, model_sha256=None
    )


def test_no_history_says_the_time_is_unknown_until_the_first_batch(sample_db):
    price = jobs.graded_price(sample_db, dataset="wands-sample", backend="ollama", model="m.gguf")
    assert price.seconds is None
    pairs = storage.dataset_stats(sample_db, "wands-sample").pairs
    assert str(price) == (
        f"{pairs:,} pairs planned; time unknown until the first batch (no earlier pairs of this "
        "model in this store)"
    )


def test_a_batch_takes_the_time_since_the_last_one_at_most_its_latencies(sample_db):
    run_id = stored_run(sample_db, _batch([1, 2], 1000.0))
    storage.record_judgments(sample_db, run_id, _batch([3, 4], 1000.0))
    _move_batch(sample_db, run_id, [3, 4], after_s=0.5)
    assert _remote_speed(sample_db) == storage.Speed(4, 2.5)  # 2 s first, then 0.5 s

    # Resumed an hour later: the pause is not judging time, the batch counts its latencies.
    _move_batch(sample_db, run_id, [3, 4], after_s=3600)
    assert _remote_speed(sample_db) == storage.Speed(4, 4.0)
    assert _remote_speed(sample_db, model="other") == storage.Speed(0, 0.0)


def test_with_history_the_estimate_comes_from_the_measured_speed(sample_db):
    stored_run(sample_db, _batch([1, 2, 3, 4], 500.0))  # 4 pairs in 2 s: 2 pairs/s
    price = jobs.graded_price(
        sample_db, dataset="wands-sample", backend="ollama", model="m.gguf", limit=120
    )
    assert price.planned == 120 and price.seconds == pytest.approx(60.0)
    assert str(price) == (
        "120 pairs planned; about 60 s at 2.00 pairs/s (this model's speed over 4 earlier "
        "pairs here)"
    )


def test_a_model_file_is_known_by_its_hash_wherever_it_lies(sample_db, tmp_path):
    model = tmp_path / "judge.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    copy = tmp_path / "moved.gguf"
    copy.write_bytes(model.read_bytes())
    stored_run(
        sample_db,
        _batch([1, 2], 250.0),
        backend="llama_cpp",
        model=str(model),
        model_sha256=judge.file_sha256(model),
    )
    moved = jobs.graded_price(
        sample_db, dataset="wands-sample", backend="llama_cpp", model=str(copy), limit=8
    )
    assert moved.speed == storage.Speed(2, 0.5) and moved.seconds == pytest.approx(2.0)
    # The same name through a remote backend is another model.
    remote = jobs.graded_price(
        sample_db, dataset="wands-sample", backend="ollama", model=str(model), limit=8
    )
    assert remote.seconds is None


def test_a_split_counts_its_pairs(sample_db):
    storage.training.split_benchmark(
        sample_db, "wands-sample", storage.training.BenchmarkRecipe(queries=2, per_query=3, seed=0)
    )
    price = jobs.graded_price(
        sample_db,
        dataset="wands-sample",
        backend="ollama",
        model="m.gguf",
        split=storage.Split.BENCHMARK,
    )
    assert (
        price.planned == storage.dataset_stats(sample_db, "wands-sample").splits["benchmark"].pairs
    )


def test_the_pairwise_price_counts_both_orders_of_the_run_s_own_plan(sample_db):
    plan = judge.ComparisonPlan(per_product=0.5)
    price = jobs.pairwise_price(
        sample_db, dataset="wands-sample", backend="ollama", model="m", plan=plan, max_queries=2
    )
    comparisons, _ = jobs.planned_comparisons(
        sample_db, dataset="wands-sample", plan=plan, max_queries=2
    )
    assert price.planned == 2 * len(comparisons) > 0
    assert str(price).startswith(
        f"{2 * len(comparisons)} orders planned ({len(comparisons)} comparisons, each in both "
        "orders); time unknown until the first batch"
    )


def test_pairwise_history_prices_pairwise_runs_only(sample_db):
    run_id = planned_pairwise_run(sample_db, [[1, 2]])
    storage.pairwise.record_pairwise_judgments(
        sample_db,
        run_id,
        [
            {
                "first_pair_id": a,
                "second_pair_id": b,
                "winner": "first",
                "parse_status": "logprobs",
                "latency_ms": 2000.0,
            }
            for a, b in ((1, 2), (2, 1))
        ],
    )
    speed = storage.measured_speed(
        sample_db, storage.RunKind.PAIRWISE, backend="llama_cpp", model="m.gguf", model_sha256=None
    )
    assert speed == storage.Speed(2, 4.0)
    assert storage.measured_speed(
        sample_db, storage.RunKind.GRADED, backend="llama_cpp", model="m.gguf", model_sha256=None
    ) == storage.Speed(0, 0.0)


def test_a_rejudge_is_priced_at_its_run_s_model(sample_db):
    run_id = stored_run(sample_db, _batch([1, 2, 3, 4], 250.0))  # 4 pairs/s
    price = jobs.rejudge_price(sample_db, run_id, [5, 6, 6, 7])
    assert price.planned == 3 and price.seconds == pytest.approx(0.75)


def test_durations_read_in_the_unit_that_fits():
    assert [duration(s) for s in (3, 89.4, 600, 5399, 5400, 36000)] == [
        "3 s",
        "89 s",
        "10 min",
        "90 min",
        "1.5 h",
        "10.0 h",
    ]


def test_a_resume_is_priced_at_what_is_left_and_its_failures(sample_db):
    run_id = stored_run(sample_db, params={"pair_ids": [1, 2, 3, 4, 5]})
    failed = [{**_batch([3], 1000.0)[0], "grade": None, "parse_status": "error", "error": "x"}]
    storage.record_judgments(sample_db, run_id, [*_batch([1, 2], 1000.0), *failed])
    price = jobs.resume_price(sample_db, run_id)  # pairs 4 and 5, and the failed 3
    assert (price.planned, price.noun, price.seconds) == (3, "pair", pytest.approx(3.0))

    pairwise = planned_pairwise_run(sample_db, [[1, 2], [3, 4]])
    resumed = jobs.resume_price(sample_db, pairwise)  # two comparisons, no order judged yet
    assert (resumed.planned, resumed.noun, resumed.seconds) == (4, "order", None)
