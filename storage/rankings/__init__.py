"""Ranking runs: what search systems returned for the dataset's queries, so the labels (or a
judge) can score them and the leaderboards under two sets of labels can be compared.

Import (TREC run files and tables through a column mapping), list, rename, delete; the
grades every qrels source reads; pooling the unlabelled documents of the runs' top k into
pairs; relabel batches that write a judge run's grades as label events and undo as one.
"""

from ._import import RankingImport, RunColumns, import_run_table, import_run_trec
from ._labels import (
    apply_relabel,
    label_sources,
    relabel_batches,
    relabels_in_force,
    undo_relabel,
)
from ._pooling import Pooled, pool_holes, pooled_pair_ids, pooling_holes
from ._runs import (
    delete_ranking,
    list_rankings,
    ranked_documents,
    ranking_version,
    rename_ranking,
)

__all__ = [
    "Pooled",
    "RankingImport",
    "RunColumns",
    "apply_relabel",
    "delete_ranking",
    "import_run_table",
    "import_run_trec",
    "label_sources",
    "list_rankings",
    "pool_holes",
    "pooled_pair_ids",
    "pooling_holes",
    "ranked_documents",
    "ranking_version",
    "relabel_batches",
    "relabels_in_force",
    "rename_ranking",
    "undo_relabel",
]
