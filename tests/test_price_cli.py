"""`cli.py judge --pairwise` on the real bundled model prints the price line the Runs form
shows before it starts, and stores exactly the orders it planned."""

from __future__ import annotations

import pytest
from test_price_journey import DATASET, newest_pairwise_run, price_of, stored_orders

import cli

pytestmark = pytest.mark.model


def test_the_cli_prints_the_same_line_and_stores_the_orders_it_planned(sample_db, capsys):
    price = price_of(sample_db)
    assert price.seconds is None  # no earlier pairwise run of the model in this store
    args = ["--db", str(sample_db), "judge", "--pairwise", "--dataset", DATASET]
    assert cli.main([*args, "--per-product", "0.5", "--max-queries", "1"]) == 0
    assert str(price) in capsys.readouterr().err.splitlines()
    assert stored_orders(sample_db, newest_pairwise_run(sample_db)) == price.planned
