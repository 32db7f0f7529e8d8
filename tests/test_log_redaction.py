"""No key in any log: `cli.py -vv` logs httpx's and httpcore's DEBUG lines (request URLs,
response headers), and a server may echo the key in a response header, in a redirect or in
a body, as sent or encoded. A real process against a real server on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from judge_fault_server import FaultServer

from judge import LogRedaction
from judge._secrets import keep_out_of_logs

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-log/9b+2e=Zq"


def key_forms(key: str) -> dict[str, str]:
    """The key and the Authorization header as a server or a library may write them."""
    header = f"Bearer {key}"
    return {
        "as sent": key,
        "base64 of the header": base64.b64encode(header.encode()).decode(),
        "base64 of the key": base64.b64encode(key.encode()).decode().rstrip("="),
        "url-safe base64": base64.urlsafe_b64encode(key.encode()).decode().rstrip("="),
        "percent-encoded": urllib.parse.quote(key, safe=""),
        "\\u-escaped": "".join(f"\\u{ord(c):04x}" for c in key),
        "bytes repr": repr(key.encode())[2:-1],
    }


@pytest.mark.parametrize("fault", ["echoheaders", "redirect", "echoencoded", "echo400"])
def test_minus_vv_never_logs_the_key(sample_db: Path, fault: str) -> None:
    with FaultServer(default_fault=fault) as server:
        command = [
            sys.executable,
            str(REPO / "cli.py"),
            "-vv",
            "--db",
            str(sample_db),
            "judge",
            "--backend",
            "openai",
            "--model",
            "m",
            "--base-url",
            f"{server.url}/{KEY}/v1",
            "--api-key-env",
            "LOG_TEST_KEY",
            "--mode",
            "generate",
            "--endpoint",
            "chat",
            "--limit",
            "2",
            "--max-retries",
            "0",
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, "LOG_TEST_KEY": KEY},
            timeout=300,
        )
    assert set(server.auth_headers) == {f"Bearer {KEY}"}  # the key was sent
    log = done.stdout + done.stderr
    # The HTTP libraries' lines are there, with what the server echoed, masked.
    assert "DEBUG httpcore.http11: receive_response_headers.complete" in log
    assert f"{server.url}/***/v1/chat/completions" in log
    for name, form in key_forms(KEY).items():
        assert form not in log, (name, log)


def test_the_filter_masks_a_record_its_arguments_and_its_exception() -> None:
    keep_out_of_logs(KEY)
    logger = logging.getLogger("httpcore.http11")
    handler = logging.Handler()
    LogRedaction.install(handler)
    seen: list[logging.LogRecord] = []
    handler.emit = seen.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            logger.error("headers %r", [(b"X-Echo", f"Bearer {KEY}".encode())], exc_info=True)
    finally:
        logger.removeHandler(handler)
    (record,) = seen
    assert record.getMessage() == "headers [(b'X-Echo', b'Bearer ***')]"
    assert record.exc_text is not None and "bad key ***" in record.exc_text
    assert KEY not in record.exc_text
