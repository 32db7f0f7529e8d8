"""The baseline judge without a store: features by hand, cross-fitting that never learns from
the query it grades, benchmark labels that reach no model, seeds, the model file, stacking."""

from __future__ import annotations

import hashlib
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import judge
import metrics
from judge._baseline_features import Vocabulary

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
WANDS_GRADES = {"Irrelevant": 0, "Partial": 1, "Exact": 2}


def sample_pairs() -> tuple[pd.DataFrame, pd.Series]:
    """The WANDS sample as the store gives its pairs (columns of pairs_for_judging), and
    the labels."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(SAMPLE / name, sep="\t", dtype=str, keep_default_na=False)

    labels = read("label.csv").rename(columns={"product_id": "doc_id"})
    pairs = (
        labels.merge(read("query.csv"), on="query_id")
        .merge(
            read("product.csv").rename(
                columns={"product_id": "doc_id", "category hierarchy": "category_hierarchy"}
            ),
            on="doc_id",
        )
        .assign(pair_id=lambda f: f["id"].astype(int), split=None)
    )
    return pairs, pairs["label"].map(WANDS_GRADES).astype(float)


def pair(
    pair_id: int,
    query_id: str,
    query: str,
    query_class: str,
    doc_id: str,
    title: str,
    product_class: str,
    category: str,
    description: str = "",
) -> dict:
    return {
        "pair_id": pair_id,
        "query_id": query_id,
        "query": query,
        "query_class": query_class,
        "doc_id": doc_id,
        "product_name": title,
        "product_class": product_class,
        "category_hierarchy": category,
        "product_description": description,
        "split": None,
    }


def by_name(row: np.ndarray) -> dict[str, float]:
    return dict(zip(judge.BASELINE_FEATURES, row.tolist(), strict=True))


def probs_of(fitted: judge.CrossFitted) -> np.ndarray:
    return np.array([j.probs for j in fitted.judgments])


def kappa(labels: pd.Series, fitted: judge.CrossFitted) -> float:
    grades = [j.grade for j in fitted.judgments]
    confusion = metrics.confusion_matrix(labels.to_numpy(int), grades, [0, 1, 2])
    return metrics.summarize(confusion, [0, 1, 2])["kappa_quadratic"]


def test_features_by_hand() -> None:
    pairs = pd.DataFrame(
        [
            pair(1, "q1", "oak desk", "Desks", "d1", "Oak Desk", "Desks", "Furniture / Desks"),
            pair(2, "q1", "oak desk", "Desks", "d2", "red rug", "Area Rugs|Rugs", "Decor / Rugs"),
            pair(3, "q2", "rug", "", "d2", "red rug", "Area Rugs|Rugs", "Decor / Rugs"),
            pair(4, "q3", "teen bed", " beds ", "d3", "loft bed", "Teen Beds|Beds", "Kids"),
        ]
    )
    rows = [by_name(r) for r in Vocabulary.fit(pairs).features(pairs)]

    exact = rows[0]
    assert exact["cos_title"] == pytest.approx(1.0)
    assert exact["cos_description"] == 0.0  # an empty text has no direction
    assert exact["overlap"] == 1.0
    assert (exact["class_match"], exact["has_query_class"]) == (1.0, 1.0)
    assert exact["query_terms"] == pytest.approx(math.log(3))
    assert exact["title_terms"] == pytest.approx(math.log(3))

    other = rows[1]
    assert [other[n] for n in ("cos_title", "overlap", "bm25", "class_match")] == [0, 0, 0, 0]

    # "rug" is in the name "red rug"; "Rugs" is another term (no stemming). Products: d1 has
    # 5 terms in name + class + category (oak desk desks furniture desks), d2 has 7 (red rug
    # area rugs rugs decor rugs), d3 6 (loft bed teen beds beds kids); BM25 with
    # idf(rug) = ln(4/2) + 1 (in 1 of 3 products).
    rug = rows[2]
    assert rug["overlap"] == 1.0
    assert (rug["class_match"], rug["has_query_class"]) == (0.0, 0.0)
    mean_length = (5 + 7 + 6) / 3
    idf = math.log(4 / 2) + 1
    assert rug["bm25"] == pytest.approx(idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 7 / mean_length)))

    # One of several product classes matches, compared without case or outer spaces.
    assert rows[3]["class_match"] == 1.0


def test_probabilities_sum_to_one_and_judgments_follow_from_them() -> None:
    pairs, labels = sample_pairs()
    fitted = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    probs = np.array([j.probs for j in fitted.judgments])
    assert probs.shape == (174, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    for j, p in zip(fitted.judgments, probs, strict=True):
        assert j.grade == int(np.argmax(p))
        assert j.expected_grade == pytest.approx(p @ [0, 1, 2])
        assert j.confidence == pytest.approx(p.max())
        assert j.parse_status == "logprobs" and j.error is None
        assert j.raw_output.startswith("fold ") and j.raw_output.endswith(" of 5")
    assert [j.pair_id for j in fitted.judgments] == pairs["pair_id"].tolist()
    assert (fitted.training_pairs, fitted.training_queries) == (174, 36)
    # Real signal: WANDS lexical baselines reach quadratic kappa about 0.36.
    assert kappa(labels, fitted) > 0.25


def test_no_grade_depends_on_a_label_of_its_own_query() -> None:
    pairs, labels = sample_pairs()
    before = probs_of(judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2]))
    for query_id in pairs["query_id"].unique()[:6]:
        own = (pairs["query_id"] == query_id).to_numpy()
        flipped = labels.where(~own, 2 - labels)  # every label of the query turned round
        after = probs_of(judge.cross_fit_baseline(pairs, flipped, grades=[0, 1, 2]))
        np.testing.assert_array_equal(after[own], before[own])
        assert not np.array_equal(after[~own], before[~own])  # other folds did learn from it


def planted_twins(twin_text: str) -> tuple[pd.DataFrame, pd.Series]:
    """The sample plus two planted queries: "Walnut Floating Shelf" (query_id p1) and
    `twin_text` (p2), 12 pairs each, the same products."""
    pairs, labels = sample_pairs()
    products = pairs.drop_duplicates("doc_id").head(12)
    planted = [
        products.assign(
            query_id=query_id,
            query=text,
            query_class="Wall Shelves",
            pair_id=np.arange(12) + offset,
            split=None,
        )
        for query_id, text, offset in (
            ("p1", "Walnut Floating Shelf", 1000),
            ("p2", twin_text, 2000),
        )
    ]
    grades = pd.Series(np.tile([0.0, 1.0, 2.0], 8))
    return (
        pd.concat([pairs, *planted], ignore_index=True),
        pd.concat([labels, grades], ignore_index=True),
    )


def twin_moves_when_its_twin_is_relabelled(twin_text: str) -> bool:
    pairs, labels = planted_twins(twin_text)
    first, second = (pairs["query_id"] == q for q in ("p1", "p2"))
    before = probs_of(judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2]))
    # p1's labels become the leak to find: Exact wherever the products are given.
    leaked = labels.where(~first, 2.0)
    after = probs_of(judge.cross_fit_baseline(pairs, leaked, grades=[0, 1, 2]))
    return not np.array_equal(after[second.to_numpy()], before[second.to_numpy()])


def test_a_duplicated_query_text_cannot_learn_from_its_twin() -> None:
    # The same text with other case and spacing is one query group, so one fold: what p1's
    # labels say never reaches the model that grades p2.
    assert not twin_moves_when_its_twin_is_relabelled("walnut   floating shelf")
    # The check can see a leak: a text of another group, in another fold, does move.
    fold = judge.query_folds(["walnut floating shelf"], 5, 0)[0]
    other = next(
        text
        for text in (f"walnut floating shelf {i}" for i in range(50))
        if judge.query_folds([text], 5, 0)[0] != fold
    )
    assert twin_moves_when_its_twin_is_relabelled(other)


def test_benchmark_labels_reach_no_model_yet_benchmark_pairs_are_graded() -> None:
    pairs, labels = sample_pairs()
    benchmark = pairs["query_id"].isin(pairs["query_id"].unique()[::4])
    pairs = pairs.assign(split=np.where(benchmark, "benchmark", "train"))
    fitted = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    scrambled = labels.where(~benchmark, (labels + 1) % 3)
    again = judge.cross_fit_baseline(pairs, scrambled, grades=[0, 1, 2])
    np.testing.assert_array_equal(probs_of(again), probs_of(fitted))
    assert fitted.training_pairs == int((~benchmark).sum())
    assert all(j.grade is not None for j in fitted.judgments)


def test_the_same_seed_gives_the_same_run_and_another_seed_other_folds() -> None:
    pairs, labels = sample_pairs()
    first = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    second = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    assert [(j.grade, j.probs, j.raw_output) for j in first.judgments] == [
        (j.grade, j.probs, j.raw_output) for j in second.judgments
    ]
    settings = judge.BaselineSettings(seed=1)
    other = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2], settings=settings)
    assert [j.raw_output for j in other.judgments] != [j.raw_output for j in first.judgments]


def test_folds_depend_on_seed_and_query_text_only() -> None:
    folds = judge.query_folds(["Oak Desk", "oak  desk", "rug"], 5, seed=0)
    assert folds[0] == folds[1]
    digest = hashlib.sha256(b"0:rug").digest()
    assert folds[2] == int.from_bytes(digest[:8], "big") % 5
    assert judge.query_group("  Oak \t Desk ") == "oak desk"


def test_the_saved_model_reloads_to_the_same_probabilities(tmp_path: Path) -> None:
    pairs, labels = sample_pairs()
    fitted = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    path, sha256 = judge.save_baseline(fitted.model, tmp_path)
    assert path.name == f"baseline-{sha256[:12]}.npz"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    # The same model writes the same bytes.
    assert judge.save_baseline(fitted.model, tmp_path / "again")[1] == sha256

    loaded = judge.load_baseline(path)
    np.testing.assert_array_equal(loaded.probabilities(pairs), probs_of(fitted))
    assert [j.grade for j in loaded.judge(pairs)] == [j.grade for j in fitted.judgments]
    assert (loaded.grades, loaded.feature_names, loaded.settings) == (
        (0, 1, 2),
        judge.BASELINE_FEATURES,
        judge.BaselineSettings(),
    )


def test_a_model_file_holds_plain_arrays_and_anything_else_is_refused(tmp_path: Path) -> None:
    pairs, labels = sample_pairs()
    fitted = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    path, _ = judge.save_baseline(fitted.model, tmp_path)
    with np.load(path, allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)

    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, meta=np.array([{"format": "workbench-baseline/1"}], dtype=object))
    with pytest.raises(
        judge.ModelFileError,
        match=r"pickled\.npz is not a readable baseline "
        r"model file \(Object arrays cannot be loaded when allow_pickle=False\): "
        r"train a new one with `cli.py judge --backend baseline`",
    ):
        judge.load_baseline(pickled)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(judge.ModelFileError, match="is not a readable baseline model file"):
        judge.load_baseline(garbage)
    with zipfile.ZipFile(path) as archive:
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_training_needs_two_grades_in_every_fold() -> None:
    pairs, labels = sample_pairs()
    with pytest.raises(
        judge.TrainingDataError,
        match=r"fold 1 of 5 would train on 1\d\d "
        r"labelled pairs with only grade 1: label more queries outside the "
        r"benchmark split \(pairs of at least two grades\), or use fewer folds",
    ):
        judge.cross_fit_baseline(pairs, labels * 0 + 1, grades=[0, 1, 2])
    with pytest.raises(judge.TrainingDataError, match=r"labels 7 are not on the scale \[0, 1, 2\]"):
        judge.cross_fit_baseline(pairs, labels.replace(2.0, 7.0), grades=[0, 1, 2])
    with pytest.raises(judge.SettingsError, match="folds must be at least 2"):
        judge.BaselineSettings(folds=1)


def test_another_scale_and_a_grade_no_fold_has_seen() -> None:
    pairs, labels = sample_pairs()
    # On 1-5, with nobody ever answering 3: it gets probability 0, the rest sum to 1.
    five = labels.map({0.0: 1.0, 1.0: 4.0, 2.0: 5.0})
    fitted = judge.cross_fit_baseline(pairs, five, grades=[1, 2, 3, 4, 5])
    probs = probs_of(fitted)
    assert probs.shape == (174, 5)
    assert (probs[:, 1] == 0).all() and (probs[:, 2] == 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert {j.grade for j in fitted.judgments} <= {1, 4, 5}


def test_two_grades_give_scikit_learns_probabilities() -> None:
    pairs, labels = sample_pairs()
    two = labels.replace(1.0, 0.0)
    fitted = judge.cross_fit_baseline(pairs, two, grades=[0, 1, 2])
    model, fold = fitted.model, judge.query_folds(pairs["query"], 5, 0)
    features = model.vocabulary.features(pairs)
    train, graded = fold != 0, fold == 0
    reference = LogisticRegression(max_iter=1000).fit(
        (features[train] - model.mean[0]) / model.scale[0], two[train].astype(int)
    )
    expected = reference.predict_proba((features[graded] - model.mean[0]) / model.scale[0])
    np.testing.assert_allclose(probs_of(fitted)[graded][:, [0, 2]], expected, atol=1e-9)
    assert (probs_of(fitted)[:, 1] == 0).all()


def test_run_features_are_floored_log_probabilities() -> None:
    frame = judge.run_features([[1.0, 0.0, 0.0], None], [0, 2], scale=[0, 1, 2])
    floor = math.log(judge.LOGP_FLOOR)
    assert list(frame.columns) == ["run_logp_0", "run_logp_1", "run_logp_2"]
    assert frame.to_numpy().tolist() == [[0.0, floor, floor], [floor, floor, 0.0]]
    with pytest.raises(judge.SettingsError, match="pair 0 has no grade in the run"):
        judge.run_features([None], [None], scale=[0, 1, 2])
    with pytest.raises(judge.SettingsError, match="pair 0 has 2 grade probabilities for the 3"):
        judge.run_features([[0.5, 0.5]], [0], scale=[0, 1, 2])


def test_a_stacking_head_learns_from_a_run_and_needs_it_to_judge(tmp_path: Path) -> None:
    pairs, labels = sample_pairs()
    # A run that knows the answer for most pairs: the head should trust it.
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(len(labels)) < 0.8, labels, rng.integers(0, 3, len(labels)))
    probs = [list(np.eye(3)[int(g)] * 0.9 + 0.1 / 3) for g in noisy]
    extra = judge.run_features(probs, noisy.tolist(), scale=[0, 1, 2])
    stacked = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2], extra=extra)
    alone = judge.cross_fit_baseline(pairs, labels, grades=[0, 1, 2])
    assert kappa(labels, stacked) > kappa(labels, alone) + 0.2
    assert stacked.model.extra_names == ("run_logp_0", "run_logp_1", "run_logp_2")

    path, _ = judge.save_baseline(stacked.model, tmp_path, prefix="stack")
    loaded = judge.load_baseline(path)
    np.testing.assert_array_equal(loaded.probabilities(pairs, extra), probs_of(stacked))
    with pytest.raises(judge.SettingsError, match="this model also reads the columns run_logp_0"):
        loaded.probabilities(pairs)
