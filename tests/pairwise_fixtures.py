"""A pairwise run recorded by hand (no model) on the WANDS sample, for the CLI, page and
browser tests."""

from __future__ import annotations

import storage


def planned_pairwise_run(
    db, comparisons: list[list[int]], name: str = "pw", dataset: str = "wands-sample"
) -> int:
    """A pairwise run planning `comparisons` (each judged in both orders), no verdict yet."""
    return storage.pairwise.create_pairwise_run(
        db,
        name=name,
        dataset=dataset,
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
        params={"comparisons": comparisons},
    )


def pairwise_run(db) -> int:
    run_id = storage.pairwise.create_pairwise_run(
        db,
        name="pw",
        dataset="wands-sample",
        backend="llama_cpp",
        model="m.gguf",
        prompt_template="t",
        prompt_sha256="0" * 64,
    )
    # Query 9 (pairs 3-6): 3 > 4 > 5 > 3 is a cycle; every order names the product first shown
    # for (3, 6), a consistent verdict elsewhere.
    verdicts = []
    for a, b, pref_a in ((3, 4, 0.9), (4, 5, 0.8), (3, 5, 0.2), (3, 6, None)):
        if pref_a is None:
            orders = [(a, b, "first", 0.9), (b, a, "first", 0.9)]
        else:
            winner = "first" if pref_a > 0.5 else "second"
            other = "second" if winner == "first" else "first"
            orders = [(a, b, winner, pref_a), (b, a, other, 1 - pref_a)]
        for first, second, won, p_first in orders:
            verdicts.append(
                {
                    "first_pair_id": first,
                    "second_pair_id": second,
                    "winner": won,
                    "p_first": p_first,
                    "p_second": 1 - p_first,
                    "parse_status": "logprobs",
                }
            )
    storage.pairwise.record_pairwise_judgments(db, run_id, verdicts)
    storage.pairwise.finish_pairwise_run(db, run_id, storage.RunStatus.DONE)
    return run_id
