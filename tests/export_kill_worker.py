"""A separate process that exports and kills itself (SIGKILL) at one step of the write.

    export_kill_worker.py DB FOLDER SEED STEP [no-exchange]

Exports the sample store to FOLDER (instruction format, a validation share of 0.3, seeded
SEED). The steps are the calls that make an export's files and folder durable or move them:
`os.fsync`, `os.rename`, the atomic exchange of two folders and `shutil.rmtree`, each
wrapped here, in this process only, so that the STEP-th one kills the process before it
runs. STEP 0 kills at none and prints how many steps the export took. With `no-exchange`
the system's exchange is reported missing, so the two-rename path runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobs  # noqa: E402
import storage  # noqa: E402
from storage.training import _folder  # noqa: E402


def main(db: str, folder: str, seed: str, step: str, *mode: str) -> None:
    kill_at, taken = int(step), [0]

    def counted(call: Callable[..., Any]) -> Callable[..., Any]:
        def step_then_call(*args: Any, **kwargs: Any) -> Any:
            taken[0] += 1
            if taken[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return call(*args, **kwargs)

        return step_then_call

    exchange = (lambda first, second: False) if "no-exchange" in mode else _folder.exchange
    _folder.exchange = counted(exchange)  # type: ignore[assignment]
    os.fsync = counted(os.fsync)
    os.rename = counted(os.rename)
    shutil.rmtree = counted(shutil.rmtree)  # type: ignore[assignment]
    jobs.export_training(
        db, folder, curation=storage.Curation(validation_share=0.3, seed=int(seed))
    )
    print(taken[0], flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
