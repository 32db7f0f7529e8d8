"""`with storage.session(db) as store:`: one connection for a unit of work.

Every storage function takes the store first, so the block passes `store` where it would
pass the path (`storage.confusion_counts(store, run_id)`). Inside the block, the functions
given the same path use the session too (it is the context's ambient session), so code
written against paths, such as the app's pages, joins the unit of work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._db import Session, ambient, bind


class Store(Session):
    """The store of one unit of work: one connection, opened at the first storage call given
    this store (or its path, inside the session) and closed when the session ends. Made by
    `session`; used by the thread that made it."""


@contextmanager
def session(db: str | Path | Store, *, read_only: bool = False) -> Iterator[Store]:
    """One connection to the store at `db` for the block: opened at the first call, closed
    when the block ends, shared by every storage call on `db` in this context and thread.

    Inside a session on the same file (a job's batch inside a CLI command), this joins it and
    leaves it open. `read_only` opens the store as it is, migrating and writing nothing
    (DuckDB refuses a write). A session is for the thread that opens it: a background thread
    opens its own.
    """
    if isinstance(db, Store):
        yield db
        return
    joined = ambient(db)
    if isinstance(joined, Store):
        yield joined
        return
    store = Store(db, read_only=read_only)
    try:
        with bind(store.path, store):
            yield store
    finally:
        store.close()
