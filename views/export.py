"""Export: turn labelled pairs (all, corrected, or the active run's failures) into curated
fine-tuning JSONL with a manifest, or reviewers' pairwise decisions into preference rows;
preview the first lines and download the files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import streamlit as st

import jobs
import judge
import storage
from views import _common as common
from views import _reviewer as reviewing
from views import _selection as selection

PREVIEW_LINES = 5
ANY = "any"
EVERY_CELL = "every wrong cell"
KINDS = {
    "All labelled pairs": "labelled",
    "Reviewed pairs (a reviewer graded them: confirmed or corrected)": "reviewed",
    "Corrected pairs (a reviewer changed the imported grade)": "corrected",
    "The active run's failures (judge grade differs from the label)": "judge_wrong",
}
FAILURES = next(label for label, kind in KINDS.items() if kind == "judge_wrong")
FORMATS = {f.label: f for f in storage.training.EXPORT_FORMATS.values()}


def left_out_words(left_out: dict[str, int], unit: str = "pair") -> str:
    """'82 pairs in benchmark queries (held out to measure judges); 3 pairs ...'."""
    return "; ".join(f"{common.plural(n, unit)} {common.md(why)}" for why, n in left_out.items())


def plan_section(
    chosen: storage.training.Selection,
    format: storage.training.TrainingFormat,
    curation: storage.training.Curation,
) -> None:
    """What the export will write, counted by the export's own rules before it is made, so
    the counts here are the counts of the result."""
    try:
        plan = storage.training.plan_export(db, selection=chosen, format=format, curation=curation)
    except storage.StoreError as error:
        st.warning(common.md(error))
        return
    parts = ", ".join(
        f"{common.plural(pairs, 'pair')} ({common.plural(queries, 'query')}) to {part}"
        for part, (pairs, queries) in plan.parts().items()
    )
    left_out = plan.left_out()
    st.caption(
        f"{common.plural(plan.selected, 'pair')} selected: "
        f"{common.plural(len(plan.curated.rows), 'pair')} to export, {parts}."
        + (f" Left out: {left_out_words(left_out)}." if left_out else "")
        + f" Split: {common.md(storage.training.split_words(plan.curated.split))}."
    )


db = common.database()
dataset = common.require_dataset()
scale = storage.dataset_scale(db, dataset)
grades, names = list(scale.grades), list(scale.names)
grade_name = dict(zip(grades, names))

st.title("Export training data")
st.caption("Benchmark pairs are never exported: they are held out to measure judges.")

st.subheader("Pairs")
kind = KINDS[st.radio("Select", list(KINDS), key="export-kind")]
run_id: int | None = None
cell: tuple[int, int] | None = None
if kind == "judge_wrong":
    run_id = common.require_run()
    st.caption(f"Run {common.run_title(storage.get_run(db, run_id))}")
    cells: list[str | tuple[int, int]] = [
        EVERY_CELL,
        *((h, j) for h in grades for j in grades if h != j),
    ]
    chosen_cell = st.selectbox(
        "Confusion cell",
        cells,
        key="export-cell",
        format_func=lambda c: (
            c if c == EVERY_CELL else f"human {grade_name[c[0]]}, judged {grade_name[c[1]]}"
        ),
    )
    cell = chosen_cell if isinstance(chosen_cell, tuple) else None  # else EVERY_CELL
left, right = st.columns(2)
split = left.selectbox("Split", [ANY, "train", "validation"], key="export-split")
query_classes = right.multiselect(
    "Query classes (none: all)", storage.query_classes(db, dataset), key="export-classes"
)

st.subheader("Format")
declared = FORMATS[
    st.radio("Format", list(FORMATS), key="export-format", label_visibility="collapsed")
]
format = declared.name
conversational = format in storage.training.EITHER_STYLE and st.toggle(
    "Conversational (TRL's messages: the prompt as the judge's chat messages, each answer as "
    "an assistant message)",
    key="export-conversational",
)
pairwise = declared.answer is storage.training.Answer.CHOICE
if pairwise:
    pairwise_templates = [t.name for t in judge.list_pairwise_templates()]
    template_name = st.selectbox("Pairwise template", pairwise_templates, key="export-pw-template")
    st.caption(
        "Rows come from the reviewers' decisions on the Pairwise page (ties left out), each "
        "written twice, with either product shown first, so a judge learns the products, not "
        "the position. The pair selection above and the cap and rebalancing below do not "
        "apply."
    )
else:
    templates = {t.name: t for t in judge.list_templates()}
    # The first template on the dataset's scale: another one is refused by the export. The
    # prometheus format answers as the Prometheus template does.
    on_scale = [name for name, t in templates.items() if list(t.scale) == grades]
    if declared.answer is storage.training.Answer.FEEDBACK:
        template_name = jobs.PROMETHEUS_TEMPLATE
        score_map = jobs.score_map_for(templates[template_name].scale, grades)
        if score_map is not None:
            st.caption(
                f"A grade is written as the middle score of those read as it "
                f"({common.md(score_map.describe(scale))}): "
                + ", ".join(f"{grade_name[g]} as {score_map.score_of(g)}" for g in grades)
                + "."
            )
    else:
        template_name = st.selectbox(
            "Prompt template",
            list(templates),
            index=list(templates).index(on_scale[0]) if on_scale else 0,
            key="export-template",
        )
    st.caption(
        common.md(
            f"{templates[template_name].description} Each record holds the prompt "
            "the judge reads with this template and the answer line it writes."
        )
    )


st.subheader("Curation")
c1, c2, c3 = st.columns(3)
cap = c1.number_input("Cap per query (0: none)", min_value=0, value=0, key="export-cap")
validation_share = c2.slider(
    "Validation share of queries", 0.0, 0.5, 0.0, step=0.05, key="export-validation"
)
seed = c3.number_input("Seed", min_value=0, value=0, key="export-seed")
rebalance = None
if st.checkbox("Rebalance labels to target shares", key="export-rebalance"):
    rebalance = common.label_share_inputs(grades, names, "export")
folder_name = st.text_input("Folder name", "training", key="export-name")
try:
    folder = storage.training.export_folder(Path(db).parent / "exports", folder_name)
except storage.StoreError as error:
    st.error(common.md(error))
    st.stop()
st.caption(
    f"Written to {common.md(folder)}: train.jsonl, validation.jsonl and manifest.json, "
    "which `datasets.load_dataset(folder)` reads as exactly the two splits. The folder is "
    "replaced whole: an interrupted export leaves the earlier one as it was."
)

# Blind means blind in an export too: the pairs this reviewer still owes a blind task's grade
# are left out, as on every page that shows labels.
viewer = reviewing.current()
owed = storage.team.owed_blind_pairs(db, dataset, viewer)
if owed:
    st.caption(
        f"{common.plural(len(owed), 'pair')} you still owe a blind task's grade are left out "
        "until you have graded them."
    )
chosen = storage.training.Selection(
    kind=storage.training.SelectionKind(kind),
    dataset=dataset,
    run_id=run_id,
    cell=cell,
    split=None if split == ANY else split,
    query_classes=tuple(query_classes),
    blind_to=viewer if owed else None,
)
if pairwise:  # decisions between two products: no pair selection applies
    chosen, cap, rebalance = storage.training.Selection(dataset=dataset), 0, None
try:
    curation = storage.training.Curation(
        cap_per_query=int(cap) or None,
        label_shares=rebalance,
        validation_share=validation_share,
        seed=int(seed),
    )
except storage.StoreError as error:
    st.error(common.md(error))
    st.stop()
needs_failures = declared.needs_judge_grade and kind != "judge_wrong"
if needs_failures:  # said in this page's words; the store's refusal names the CLI's
    st.warning(
        f"The {format} format writes the judge's wrong grade as the "
        f"rejected answer: under Pairs, select “{FAILURES.split(' (')[0]}”."
    )
elif not pairwise:
    plan_section(chosen, format, curation)
# A result belongs to the export that made it: another format or selection hides it.
asked = (chosen, format, conversational, curation, template_name, folder)
if st.button("Export", type="primary", key="export-run", disabled=needs_failures):
    try:
        made = jobs.export_training(
            db,
            folder,
            selection=chosen,
            format=format,
            conversational=conversational,
            curation=curation,
            template_name=template_name,
        )
    except (storage.StoreError, judge.JudgeError) as error:
        st.error(common.md(error))  # it can quote file names, dataset names and user text
        st.stop()
    selection.owned()["export-result"] = (asked, made)

made_for, result = selection.owned().get("export-result", (None, None))
if result is None or made_for != asked:
    st.stop()


st.subheader("Result")
manifest = result.manifest
unit = "decision" if manifest["format"] == storage.training.PAIRWISE_PREFERENCE else "pair"
st.success(
    f"{common.plural(manifest['counts']['exported'], unit)} exported in the "
    f"{manifest['format']} format (of "
    f"{common.plural(manifest['counts']['selected'], unit)} selected)."
)
st.dataframe(
    pd.DataFrame(
        [
            {
                "file": f["name"],
                "pairs": f["rows"],
                "queries": f["queries"],
                "labels": result.labels_by_name(f),
                "sha256": f["sha256"][:12],
            }
            for f in manifest["files"]
        ]
    ),
    hide_index=True,
)
dropped = result.left_out()
if dropped:
    st.caption(f"Left out: {left_out_words(dropped, unit)}.")
if "split" in manifest:
    st.caption(f"Split: {common.md(storage.training.split_words(manifest['split']))}.")
for path in (*result.files, result.manifest_path):
    if not path.exists():
        st.warning(f"{common.md(path)} is gone: export again.")
        continue
    st.download_button(
        f"Download {path.name}",
        path.read_bytes(),
        file_name=path.name,
        mime="application/json",
        key=f"download-{path.name}",
    )
for path in result.files:
    with open(path, encoding="utf-8") as file:
        head = "".join(itertools.islice(file, PREVIEW_LINES))
    st.caption(f"First lines of {common.md(path.name)}")
    st.code(head, language="json", wrap_lines=True)
st.caption("Manifest")
st.json(result.manifest, expanded=False)
