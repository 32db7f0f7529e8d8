"""A separate process whose forks export and kill themselves (SIGKILL) at each step of the
write, one step per fork.

    export_kill_worker.py DB OLD BASE [no-exchange]

The steps are the calls that make an export's files and folder durable or move them:
`os.fsync`, `os.rename`, the atomic exchange of two folders and `shutil.rmtree`. In each
fork, and only there, they are wrapped so that the STEP-th one kills the fork before it
runs. Fork STEP exports the sample store (instruction format, a validation share of 0.3,
seed 1) over a copy of the export folder OLD at BASE/step-STEP/training. Fork 0 kills at
none and says how many steps an export takes; forks 1 to that number follow. With
`no-exchange` the system's exchange is reported missing, so the two-rename path runs.

Prints `STEP EXIT` per fork (EXIT: the exit code, or minus the signal that ended it).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobs  # noqa: E402
import storage  # noqa: E402
from storage.training import _folder  # noqa: E402


def export_killed_at(db: str, target: Path, kill_at: int, exchange: bool) -> int:
    """In a fork: export to `target`, killed before the `kill_at`-th step (0: none); the
    steps taken."""
    taken = [0]

    def counted(call: Callable[..., Any]) -> Callable[..., Any]:
        def step_then_call(*args: Any, **kwargs: Any) -> Any:
            taken[0] += 1
            if taken[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return call(*args, **kwargs)

        return step_then_call

    _folder.exchange = counted(_folder.exchange if exchange else lambda first, second: False)  # type: ignore[assignment]
    os.fsync = counted(os.fsync)
    os.rename = counted(os.rename)
    shutil.rmtree = counted(shutil.rmtree)  # type: ignore[assignment]
    jobs.export_training(
        db, target, curation=storage.training.Curation(validation_share=0.3, seed=1)
    )
    return taken[0]


def main(db: str, old: str, base: str, *mode: str) -> None:
    step, steps = 0, 0
    while step <= steps:
        target = Path(base) / f"step-{step}" / "training"
        shutil.copytree(old, target)
        pid = os.fork()
        if pid == 0:
            try:
                taken = export_killed_at(db, target, step, "no-exchange" not in mode)
                (Path(base) / "steps").write_text(str(taken), "utf-8")
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if step == 0:
            steps = int((Path(base) / "steps").read_text("utf-8"))
        print(step, status, flush=True)
        step += 1


if __name__ == "__main__":
    main(*sys.argv[1:])
