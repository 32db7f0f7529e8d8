"""Servers the tests start as subprocesses on 127.0.0.1: a free port, and a clean stop."""

from __future__ import annotations

import os
import socket
import subprocess

MODEL_THREADS = max(
    1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
)
"""Threads a model in a test (in process or a llama.cpp server) runs on: the machine's cores
shared among the pytest workers. llama.cpp's threads spin while they wait for each other, so
two workers each running two threads on two cores are far slower than one thread each."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen, timeout_s: float) -> None:
    """Ask `process` to end, kill it if it has not after `timeout_s`, and reap it."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
