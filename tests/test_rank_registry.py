"""The measure registry: every measure declares a definition, help and an ir_measures
equivalent that gives its values; the page, the CLI's defaults and help read it."""

from __future__ import annotations

import ir_measures
import numpy as np
import pandas as pd
import pytest
from app_fixtures import open_app

import cli
import metrics
import storage

DATASET = "wands-sample"


def _cases(definition: metrics.MeasureDefinition) -> list[metrics.Measure]:
    cutoffs = {
        metrics.Cutoff.REQUIRED: [1, 3, 10],
        metrics.Cutoff.NONE: [None],
        metrics.Cutoff.OPTIONAL: [None, 1, 3, 10],
    }[definition.cutoff]
    return [metrics.Measure(definition.name, k) for k in cutoffs]


def _random_qrels_and_run(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    qrels = pd.DataFrame(
        [
            (f"q{q}", f"d{d}", int(rng.integers(0, 4)))
            for q in range(8)
            for d in rng.choice(30, int(rng.integers(1, 15)), replace=False)
        ],
        columns=["query_id", "doc_id", "level"],
    )
    # Distinct scores: ir_measures' Judged breaks ties the other way (see metrics/_ranking).
    run = pd.DataFrame(
        [
            (f"q{q}", f"d{d}", float(score))
            for q in range(10)
            for score, d in enumerate(rng.choice(30, int(rng.integers(1, 20)), replace=False))
        ],
        columns=["query_id", "doc_id", "score"],
    )
    return qrels, run


@pytest.mark.parametrize("definition", metrics.MEASURES, ids=lambda m: m.name)
def test_every_registered_measure_is_declared_and_equals_its_ir_measures_equivalent(definition):
    assert definition.definition.strip() and definition.trec_eval.strip()
    assert "{top}" in definition.help or definition.cutoff is metrics.Cutoff.NONE
    for threshold in (1, 2):
        qrels, run = _random_qrels_and_run(threshold)
        ranked = run.sort_values(["query_id", "score", "doc_id"], ascending=[True, False, False])
        ranked = ranked.assign(run="A", rank=ranked.groupby("query_id").cumcount() + 1)
        lists = metrics.ranked_lists(ranked, qrels)
        library_qrels = [
            ir_measures.Qrel(q, d, int(g)) for q, d, g in qrels.itertuples(index=False)
        ]
        scored = [ir_measures.ScoredDoc(q, d, s) for q, d, s in run.itertuples(index=False)]
        for measure in _cases(definition):
            text = measure.help("relevant")
            assert text.startswith(f"{measure}: ") and "{" not in text
            assert metrics.Measure.parse(str(measure)) == measure
            reference = ir_measures.parse_measure(measure.ir_measures_name(threshold))
            ours = metrics.per_query_measures(lists, [measure], threshold=threshold)[0, 0]
            expected = {
                m.query_id: m.value
                for m in ir_measures.iter_calc([reference], library_qrels, scored)
            }
            for position, query in enumerate(lists.query_ids):
                assert ours[position] == pytest.approx(expected.get(query, 0.0), abs=1e-12), (
                    measure,
                    query,
                )


@pytest.mark.parametrize(
    "text, expected",
    [("MAP", "AP"), ("map@100", "AP@100"), ("AP@5", "AP@5"), ("mrr", "RR")],
)
def test_aliases_name_the_registered_measure(text, expected):
    assert str(metrics.Measure.parse(text)) == expected


def test_the_cli_defaults_and_help_come_from_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli.main(["rank-metrics", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for definition in metrics.MEASURES:
        assert definition.written() in shown
    assert f"(default: {','.join(metrics.default_measures())})" in shown


def test_an_unknown_measure_lists_every_registered_one():
    with pytest.raises(metrics.MetricsInputError) as error:
        metrics.Measure.parse("ERR@10")
    assert str(error.value) == f"unknown measure 'ERR@10': use {metrics.measure_forms()}"


def test_the_rankers_page_offers_and_explains_every_registered_measure(store):
    db, _ = store
    storage.rankings.import_run_trec(db, "sample_data/rankings.trec", dataset=DATASET)
    at = open_app("rankers")
    assert not at.exception and not at.error
    picker = at.multiselect(key="rank-measures")
    assert {metrics.Measure.parse(m).kind for m in picker.options} == {
        m.name for m in metrics.MEASURES
    }
    picker.set_value(["AP@10", "RR"]).run()
    assert not at.exception and not at.error
    board = next(f.value for f in at.dataframe if "AP@10" in f.value.columns)
    assert list(board.columns) == ["AP@10", "RR"]
