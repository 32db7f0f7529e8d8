"""A fleet of three endpoints against one: does judging through a fleet scale with its size?

Each endpoint is a tiny OpenAI-compatible server in this process on 127.0.0.1
(``DelayServer``) that answers ``/v1/completions`` after a fixed delay with fixed logprobs,
as a GPU server busy with other work would: the delay, not this machine's CPU, is what each
request costs, so three such servers should judge close to three times as fast as one. The
same pairs are judged through one endpoint, then through three; the ratio of the two
throughputs is printed, with "target met" at 2.7 or more.

    python -m bench._fleet_scale          # 240 pairs per side
    python -m bench._fleet_scale --quick  # 90 pairs per side
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import judge

TARGET = 2.7
DELAY_S = 1.0
CONCURRENCY = 4  # per endpoint


GRADE_1 = {"0": 0.1, "1": 0.7, "2": 0.1, "3": 0.1}


class DelayServer:
    """An OpenAI-compatible completions endpoint on 127.0.0.1 that answers every request
    after ``delay_s`` with one token: the likeliest of ``tokens`` (token -> probability, the
    alternatives it reports; by default grade 1 at 0.7, the other grades 0.1 each).

    ``answered`` counts the requests it answered. With ``die_after`` it dies once it has
    answered that many: later requests, and those waiting when it died, get their connection
    closed with no answer, and it accepts no new connection, as a server that was killed.
    Use as ``with DelayServer() as server:``; ``server.url`` is its API root (``/v1``).
    """

    def __init__(
        self,
        delay_s: float = DELAY_S,
        die_after: int | None = None,
        tokens: Mapping[str, float] = GRADE_1,
    ) -> None:
        self.delay_s = delay_s
        self.tokens = dict(tokens)
        self.die_after = die_after
        self.answered = 0
        self.dead = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._closer = threading.Thread(target=self._close, daemon=True)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> DelayServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
        self._closer.join()

    def kill(self) -> None:
        """Die now: requests waiting and to come get no answer, and once the server loop
        has stopped, new connections are refused."""
        with self._lock:
            self._die()

    def _die(self) -> None:
        if not self.dead.is_set():
            self.dead.set()
            self._closer.start()

    def _close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self) -> bool:
        """Whether to answer the request now in hand (counted), or drop it (dead)."""
        with self._lock:
            if self.dead.is_set():
                return False
            self.answered += 1
            if self.die_after is not None and self.answered >= self.die_after:
                self._die()
            return True


def _body(request: dict[str, Any], tokens: Mapping[str, float]) -> bytes:
    top = {token: math.log(p) for token, p in tokens.items()}
    text = max(tokens, key=lambda token: tokens[token])
    choice = {"text": text, "logprobs": {"tokens": [text], "top_logprobs": [top]}}
    usage = {"prompt_tokens": 50, "completion_tokens": 1}
    if not request.get("stream"):
        return json.dumps({"choices": [choice], "usage": usage}).encode()
    events = [{"choices": [choice]}, {"choices": [], "usage": usage}]
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many clients connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection dropped by a dead server, or by a client gone: expected here.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _handler(server: DelayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else the body waits for a delayed ACK

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if server.dead.wait(server.delay_s) or not server._answer():
                self.close_connection = True  # killed: no answer, the connection closes
                return
            body = _body(request, server.tokens)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def fleet_pairs(count: int) -> list[dict[str, Any]]:
    """``count`` pairs with the fields the default template reads, ten per query."""
    return [
        {
            "pair_id": i,
            "query_id": f"q{i // 10}",
            "query": f"query {i // 10}",
            "product_name": f"product {i}",
            "query_class": "Chairs",
            "product_class": "Chairs",
            "category_hierarchy": "furniture / chairs",
            "product_description": "a chair",
        }
        for i in range(count)
    ]


def fleet_settings(urls: list[str]) -> judge.JudgeSettings:
    """Settings that judge through ``urls`` over completions, ``CONCURRENCY`` per endpoint."""
    return judge.JudgeSettings(
        backend="openai",
        model="delay",
        endpoint="completions",
        top_logprobs=4,
        concurrency=CONCURRENCY,
        timeout_s=30.0,
        **judge.base_url_fields(urls),
    )


def pairs_per_s(servers: int, pairs: int) -> float:
    """Throughput of judging ``pairs`` pairs through a fleet of ``servers`` DelayServers."""
    rigs = [DelayServer() for _ in range(servers)]
    for rig in rigs:
        rig.__enter__()
    try:
        settings = fleet_settings([rig.url for rig in rigs])
        judged: list[judge.Judgment] = []
        started = time.perf_counter()
        judge.run_judge(fleet_pairs(pairs), settings, on_result=judged.append)
        elapsed = time.perf_counter() - started
    finally:
        for rig in rigs:
            rig.kill()
    failed = [j for j in judged if j.grade is None]
    if failed:
        raise RuntimeError(f"{len(failed)} pairs failed, the first: {failed[0].error}")
    return len(judged) / elapsed


def fleet_ratio(quick: bool) -> float:
    """Pairs/s through a fleet of 3 endpoints over pairs/s through 1, on the same pairs."""
    pairs = 96 if quick else 240
    one = pairs_per_s(1, pairs)
    three = pairs_per_s(3, pairs)
    print(f"fleet: 1 endpoint {one:.1f} pairs/s, 3 endpoints {three:.1f} pairs/s", flush=True)
    return three / one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer pairs, same ratio")
    args = parser.parse_args()
    ratio = fleet_ratio(args.quick)
    verdict = "target met" if ratio >= TARGET else "target missed"
    print(f"fleet of 3 / 1 endpoint: {ratio:.2f}x ({verdict}, target >= {TARGET})", flush=True)


if __name__ == "__main__":
    main()
