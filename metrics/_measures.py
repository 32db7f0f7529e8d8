"""The ranking measures, one registry: each measure's name, aliases, cutoff rule, trec_eval
definition, the function that computes it, the plain-language help the Rankers page and the
CLI show, and its name in ir_measures (the reference every test checks it against).

A new measure is one `MeasureDefinition` appended to `MEASURES`: `Measure.parse`, the
per-query computation, the page's help, the CLI's choices and defaults all read the
registry, and `tests/test_rank_registry.py` walks it (definition, help, an ir_measures
equivalent that gives the same values).

Every measure reads the same inputs (`MeasureInputs`): the relevance levels of each run's top
k documents (`UNJUDGED` for a document no qrels row grades, `NO_DOCUMENT` past the end of a
list), the query's qrels levels sorted descending, how many documents the qrels call
relevant, and the relevance threshold (trec_eval's ``-l``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.typing import NDArray

from ._exceptions import MetricsInputError

UNJUDGED = -1
NO_DOCUMENT = -2


class Cutoff(Enum):
    """Whether a measure is written with @k: always (nDCG@10), never (RR), or either (AP
    reads the whole list, AP@10 its top 10)."""

    REQUIRED = "required"
    NONE = "none"
    OPTIONAL = "optional"


@dataclass(frozen=True)
class MeasureInputs:
    """What a measure reads, for runs x queries: `top` (runs, queries, k) levels of the top
    k, `ideal` (queries, n) each query's qrels levels sorted descending (padded with 0),
    `relevant` (queries,) the documents the qrels call relevant, `threshold` the lowest
    relevant level."""

    top: NDArray[np.int8]
    k: int
    ideal: NDArray[np.int8]
    relevant: NDArray[np.int64]
    threshold: int

    @property
    def hits(self) -> NDArray[np.bool_]:
        return self.top >= self.threshold


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.generic]) -> NDArray[np.float64]:
    """numerator / denominator, 0 where the denominator is 0 (trec_eval's rule for a query
    with nothing relevant: every ratio's numerator is 0 there too)."""
    return np.divide(
        numerator, denominator, out=np.zeros_like(numerator), where=np.asarray(denominator) > 0
    )


def _discounts(n: int) -> NDArray[np.float64]:
    return 1.0 / np.log2(np.arange(2, n + 2, dtype=np.float64))


def top_of(levels: NDArray[np.int8], cutoff: int) -> NDArray[np.int8]:
    """The first `cutoff` ranks, padded with NO_DOCUMENT when the lists are shorter."""
    if cutoff <= levels.shape[-1]:
        return levels[..., :cutoff]
    pad = np.full((*levels.shape[:-1], cutoff - levels.shape[-1]), NO_DOCUMENT, np.int8)
    return np.concatenate([levels, pad], axis=-1)


def _ndcg(x: MeasureInputs) -> NDArray[np.float64]:
    dcg = np.maximum(x.top, 0).astype(np.float64) @ _discounts(x.k)
    idcg = top_of(x.ideal, x.k).clip(0).astype(np.float64) @ _discounts(x.k)
    return _ratio(dcg, idcg)


def _rr(x: MeasureInputs) -> NDArray[np.float64]:
    hits = x.hits
    return np.where(hits.any(axis=-1), 1.0 / (hits.argmax(axis=-1) + 1), 0.0)


def _precision(x: MeasureInputs) -> NDArray[np.float64]:
    return x.hits.sum(axis=-1) / x.k


def _recall(x: MeasureInputs) -> NDArray[np.float64]:
    return _ratio(x.hits.sum(axis=-1).astype(np.float64), x.relevant)


def _judged(x: MeasureInputs) -> NDArray[np.float64]:
    listed = (x.top != NO_DOCUMENT).sum(axis=-1)
    return _ratio((x.top >= 0).sum(axis=-1).astype(np.float64), listed)


def _average_precision(x: MeasureInputs) -> NDArray[np.float64]:
    hits = x.hits
    precision_at = np.cumsum(hits, axis=-1) / np.arange(1, x.k + 1)
    return _ratio((precision_at * hits).sum(axis=-1), x.relevant)


@dataclass(frozen=True)
class MeasureDefinition:
    """One ranking measure: `name` as ir_measures writes it, `aliases` also read,
    `cutoff` its rule, `trec_eval` its name there, `definition` the formula, `help` the
    plain-language sentence a page shows ({top}: "the top 10" or "the whole list",
    {relevant}: what counts as relevant), `compute` the function, `ir_measures` the
    reference measure's name, `defaults` the cutoffs scored when none is asked for (None:
    the whole list), and `choices` the cutoffs a page offers."""

    name: str
    aliases: tuple[str, ...]
    cutoff: Cutoff
    trec_eval: str
    definition: str
    help: str
    compute: Callable[[MeasureInputs], NDArray[np.float64]]
    ir_measures: str
    reads_threshold: bool
    defaults: tuple[int | None, ...] = ()
    choices: tuple[int | None, ...] = ()

    def written(self) -> str:
        """How a user writes it: 'nDCG@k', 'RR (or MRR)', 'AP or AP@k (or MAP)'."""
        forms = {
            Cutoff.REQUIRED: f"{self.name}@k",
            Cutoff.NONE: self.name,
            Cutoff.OPTIONAL: f"{self.name} or {self.name}@k",
        }[self.cutoff]
        return forms + (f" (or {', '.join(self.aliases)})" if self.aliases else "")


MEASURES: tuple[MeasureDefinition, ...] = (
    MeasureDefinition(
        name="nDCG",
        aliases=(),
        cutoff=Cutoff.REQUIRED,
        trec_eval="ndcg_cut.k",
        definition="sum over the top k of level / log2(rank + 1), divided by the same sum "
        "over the query's qrels levels sorted descending; gains are the levels themselves",
        help="the graded gain of {top}, discounted by rank, over the best possible "
        "order of the query's labels",
        compute=_ndcg,
        ir_measures="nDCG",
        reads_threshold=False,
        defaults=(10, 20),
        choices=(5, 10, 20, 100),
    ),
    MeasureDefinition(
        name="RR",
        aliases=("MRR",),
        cutoff=Cutoff.NONE,
        trec_eval="recip_rank",
        definition="1 / rank of the first relevant document in the list; 0 if none",
        help="1 / the rank of the first {relevant} document, 0 if none",
        compute=_rr,
        ir_measures="RR",
        reads_threshold=True,
        defaults=(None,),
        choices=(None,),
    ),
    MeasureDefinition(
        name="P",
        aliases=(),
        cutoff=Cutoff.REQUIRED,
        trec_eval="P.k",
        definition="relevant documents in the top k, divided by k (even when the run "
        "returned fewer than k)",
        help="the share of {top} that is {relevant}",
        compute=_precision,
        ir_measures="P",
        reads_threshold=True,
        defaults=(10,),
        choices=(5, 10, 20),
    ),
    MeasureDefinition(
        name="R",
        aliases=("Recall",),
        cutoff=Cutoff.REQUIRED,
        trec_eval="recall.k",
        definition="relevant documents in the top k, divided by the query's relevant "
        "documents in the qrels",
        help="the share of the query's {relevant} documents that {top} holds",
        compute=_recall,
        ir_measures="R",
        reads_threshold=True,
        defaults=(20,),
        choices=(10, 20, 100),
    ),
    MeasureDefinition(
        name="Judged",
        aliases=(),
        cutoff=Cutoff.REQUIRED,
        trec_eval="(ir_measures' Judged; trec_eval has none)",
        definition="documents of the top k that the qrels grade, divided by k, or by the "
        "list's length when it is shorter",
        help="the share of {top} that these qrels grade: where it is low, the other "
        "measures count many unlabelled documents as not relevant",
        compute=_judged,
        ir_measures="Judged",
        reads_threshold=False,
        defaults=(10,),
        choices=(10, 20),
    ),
    MeasureDefinition(
        name="AP",
        aliases=("MAP",),
        cutoff=Cutoff.OPTIONAL,
        trec_eval="map (AP), map_cut.k (AP@k)",
        definition="sum of the precision at the rank of each relevant document in the top k "
        "(the whole list without k), divided by the query's relevant documents in the qrels",
        help="the mean of the precision at each {relevant} document {top} finds, over "
        "every relevant document of the query (averaged over queries: MAP)",
        compute=_average_precision,
        ir_measures="AP",
        reads_threshold=True,
        choices=(None, 10, 100),
    ),
)
_BY_NAME = {name.lower(): m for m in MEASURES for name in (m.name, *m.aliases)}
_PATTERN = re.compile(r"^([A-Za-z]+)(?:@(\d+))?$")


@dataclass(frozen=True)
class Measure:
    """A measure by name and cutoff, written as in ir_measures: ``nDCG@10``, ``RR``, ``P@10``,
    ``R@100``, ``Judged@10``, ``AP@100``."""

    kind: str
    cutoff: int | None = None

    def __str__(self) -> str:
        return self.kind if self.cutoff is None else f"{self.kind}@{self.cutoff}"

    @property
    def definition(self) -> MeasureDefinition:
        return _BY_NAME[self.kind.lower()]

    def help(self, relevant: str = "relevant") -> str:
        """The plain-language sentence for this measure at its cutoff."""
        top = "the whole list" if self.cutoff is None else f"the top {self.cutoff}"
        text = self.definition.help.format(top=top, relevant=relevant)
        return f"{self}: {text}; mean over queries."

    def ir_measures_name(self, threshold: int = 1) -> str:
        """The same measure in ir_measures' notation, e.g. 'P(rel=2)@10'."""
        name = self.definition.ir_measures
        if self.definition.reads_threshold:
            name += f"(rel={threshold})"
        return name if self.cutoff is None else f"{name}@{self.cutoff}"

    @classmethod
    def parse(cls, text: str) -> Measure:
        """'nDCG@10' -> Measure('nDCG', 10); 'MRR' and 'Recall@100' are read as RR and R@100."""
        found = _PATTERN.match(text.strip())
        definition = _BY_NAME.get(found.group(1).lower()) if found else None
        if found is None or definition is None:
            raise MetricsInputError(f"unknown measure {text!r}: use {measure_forms()}")
        cutoff = int(found.group(2)) if found.group(2) else None
        name = definition.name
        if definition.cutoff is Cutoff.REQUIRED and (cutoff is None or cutoff < 1):
            raise MetricsInputError(f"{name} needs a cutoff of at least 1, as in {name}@10")
        if definition.cutoff is Cutoff.NONE and cutoff is not None:
            raise MetricsInputError(f"{name} reads the whole list: write {name} without @k")
        if cutoff is not None and cutoff < 1:
            raise MetricsInputError(f"{name}@k needs a cutoff of at least 1, as in {name}@10")
        return cls(name, cutoff)


def measures_of(names: Sequence[str | Measure]) -> list[Measure]:
    """Names or measures as measures, in order."""
    return [m if isinstance(m, Measure) else Measure.parse(m) for m in names]


def measure_forms() -> str:
    """Every registered measure as a user writes it, for help and error messages."""
    return ", ".join(m.written() for m in MEASURES)


def default_measures() -> tuple[str, ...]:
    """The measures scored when none is named, in registry order."""
    return tuple(str(Measure(m.name, k)) for m in MEASURES for k in m.defaults)


def measure_choices() -> tuple[str, ...]:
    """The measures a page offers: the defaults first, then each measure's other cutoffs."""
    offered = [str(Measure(m.name, k)) for m in MEASURES for k in m.choices]
    return tuple(dict.fromkeys([*default_measures(), *offered]))


def compute_measure(
    measure: Measure, levels: NDArray[np.int8], ideal: NDArray[np.int8], threshold: int
) -> NDArray[np.float64]:
    """`measure` for each run and query of `levels` (runs, queries, depth)."""
    k = measure.cutoff or levels.shape[-1]
    relevant = (ideal >= threshold).sum(axis=1)
    return measure.definition.compute(
        MeasureInputs(top_of(levels, k), k, ideal, relevant, threshold)
    )
