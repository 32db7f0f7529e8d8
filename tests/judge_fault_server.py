"""A misbehaving OpenAI/Ollama-style server on 127.0.0.1 for the remote judge tests.

Each prompt names its pair and the fault to act out, ``pair=<id> fault=<kind>``:

- ``ok<N>``: answer ``SCORE: N`` (with logprobs when asked, N most likely);
- ``503x2``: HTTP 503 twice, then answer 1;
- ``429``: HTTP 429 with ``Retry-After: 1`` once, then answer 1;
- ``hang``: send nothing until the client gives up;
- ``drop``: close the connection at once, with no answer (no answer, without waiting for a
  client timeout);
- ``slow``: answer 1 after ``slow_s`` seconds;
- ``malformed``: HTTP 200 with a body that is not JSON;
- ``chatty``: answer text with no grade in it;
- ``401``: HTTP 401 always;
- ``503``: HTTP 503 always, with a long HTML page;
- ``404``: HTTP 404 always, with a long HTML page as a web server sends for a wrong path;
- ``huge``: a valid answer 8 MiB long, written in 64 KiB pieces as the client reads;
- ``trickle``: a valid answer sent one byte every 50 ms (several seconds in all);
- ``echo``: answer 1, in a text that repeats the request's headers;
- ``echo400``: HTTP 400 whose body repeats the request's headers;
- ``echoheaders``: answer 1, with the request's Authorization header repeated in response
  headers, as sent, base64-encoded and percent-encoded;
- ``echoencoded``: answer 1, in a text that repeats the Authorization header base64-encoded
  and with every character ``\\u``-escaped;
- ``redirect``: HTTP 307 to a URL that carries the Authorization header percent-encoded;
- ``nochat<N>``: chat gets HTTP 400 as vLLM answers for a model with no chat template,
  completions answer N;
- ``nologprobs<N>``: answer N, never with logprobs;
- ``cut<N>``: answer N as a stream whose first event holds the whole answer, then close the
  connection mid-body, as llama-cpp-python's server does when another request waits;
- ``cutearly``: a chat stream closed after its first token, ``SCORE``.

Answers come whole, or as server-sent events when the request says ``stream``; completions
answers carry OpenAI's legacy logprobs (``tokens``, ``top_logprobs`` maps).

A prompt with no ``pair=<id> fault=<kind>`` acts out ``default_fault`` (counted as pair 0),
or gets HTTP 400 when there is none; tests that judge stored pairs set it.

The server counts requests per pair, the most requests in flight at once, and the
Authorization headers it saw.
"""

from __future__ import annotations

import base64
import collections
import json
import math
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FaultServer:
    """Start with ``with FaultServer() as server:``; ``server.url`` is the API root."""

    HUGE_BYTES = 8 << 20

    def __init__(self, slow_s: float = 0.2, default_fault: str | None = None) -> None:
        self.slow_s = slow_s
        self.default_fault = default_fault
        self.requests: collections.Counter[int] = collections.Counter()
        self.auth_headers: list[str | None] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    def respond(
        self, path: str, request: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, str], Body]:
        text = json.dumps(request)
        match = re.search(r"pair=(\d+) fault=(\w+)", text)
        if match is None and self.default_fault is None:
            return 400, {}, b'{"error": "no pair=<id> fault=<kind> in the prompt"}'
        pair_id, fault = (int(match.group(1)), match.group(2)) if match else (0, self.default_fault)
        with self._lock:
            self.requests[pair_id] += 1
            seen = self.requests[pair_id]
            self.auth_headers.append(headers.get("Authorization"))
        if fault == "503x2" and seen <= 2:
            return 503, {}, b'{"error": "overloaded"}'
        if fault == "429" and seen == 1:
            return 429, {"Retry-After": "1"}, b'{"error": "rate limited"}'
        if fault == "401":
            return 401, {}, b'{"error": "invalid api key"}'
        if fault == "503":
            return 503, {}, b"<html><body><h1>503 Service Unavailable</h1>" + b"<p>busy</p>" * 200
        if fault == "404":  # a web server's page for a path it does not have
            return 404, {}, b"<html><body><h1>404 Not Found</h1>" + b"<p>nothing here</p>" * 200
        if fault == "drop":
            return DROP, {}, b""
        if fault == "hang":
            self._stop.wait(10)
            return 503, {}, b""
        if fault == "slow":
            time.sleep(self.slow_s)
        if fault == "malformed":
            return 200, {}, b'{"choices": [{"message": {"content": "SCORE: 1"'
        echoed = json.dumps(dict(headers.items()))
        auth = headers.get("Authorization", "")
        if fault == "redirect":
            return 307, {"Location": f"/moved?auth={urllib.parse.quote(auth, safe='')}"}, b""
        if fault == "echo400":
            return 400, {}, f'{{"error": "bad request", "you sent": {echoed}}}'.encode()
        if fault == "huge":
            return 200, {}, _huge_answer(self.HUGE_BYTES)
        if fault.startswith("nochat") and path.endswith("/chat/completions"):
            return 400, {}, b'{"error": {"message": "this model has no chat template"}}'
        if fault.startswith("nologprobs"):
            request = {**request, "logprobs": None}
        if fault == "cutearly":
            first = {"delta": {"content": "SCORE"}, "logprobs": {"content": [_entry("SCORE")]}}
            return 200, {}, _cut(f"data: {json.dumps({'choices': [first]})}\n\n".encode())
        digits = re.fullmatch(r"(?:ok|nochat|nologprobs|cut)(\d)", fault)
        grade = int(digits.group(1)) if digits else 1
        b64 = base64.b64encode(auth.encode()).decode()
        escaped = "".join(f"\\u{ord(c):04x}" for c in auth)
        content = {
            "chatty": "I would rather not say.",
            "echo": f"You sent {echoed}. SCORE: 1",
            "echoencoded": f"You sent {b64} or {escaped}. SCORE: 1",
        }
        answer = _answer(path, request, content.get(fault, f"SCORE: {grade}"), grade)
        body = _events(answer) if request.get("stream") else json.dumps(answer)
        if fault == "echoheaders":
            echo = {
                "X-Echo-Authorization": auth,
                "X-Echo-Base64": b64,
                "X-Echo-Quoted": urllib.parse.quote(auth, safe=""),
            }
            return 200, echo, body.encode()
        if fault == "trickle":
            return 200, {}, _trickle(body.encode(), self._stop)
        if fault.startswith("cut"):
            return 200, {}, _cut(body.split("\n\n")[0].encode() + b"\n\n")
        return 200, {}, body.encode()


# A body, or its pieces to write one after another (with the total length known up front).
Body = bytes | tuple[int, Iterator[bytes]]
# The status `respond` gives for a connection closed with no answer.
DROP = 0


def _huge_answer(size: int) -> Body:
    head, tail = b'{"choices": [{"message": {"content": "', b'SCORE: 1"}}]}'
    piece = b"x" * (64 << 10)
    count = (size - len(head) - len(tail)) // len(piece)
    return len(head) + count * len(piece) + len(tail), iter([head, *[piece] * count, tail])


def _cut(sent: bytes) -> Body:
    """``sent``, then the connection closes with more bytes promised."""
    return len(sent) + 100, iter([sent])


def _entry(token: str) -> dict[str, Any]:
    return {"token": token, "logprob": 0.0, "top_logprobs": [{"token": token, "logprob": 0.0}]}


def _trickle(body: bytes, stop: threading.Event) -> Body:
    def pieces() -> Iterator[bytes]:
        for byte in body:
            if stop.wait(0.05):
                return
            yield bytes([byte])

    return len(body), pieces()


def _events(answer: dict[str, Any]) -> str:
    """An answer as a server streams it: the choice as a delta, then usage, then [DONE]."""
    choice = dict(answer["choices"][0])
    if "message" in choice:
        choice["delta"] = choice.pop("message")
    events = [{"choices": [choice]}, {"choices": [], "usage": answer["usage"]}]
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def _top(grade: int) -> dict[str, float]:
    """Grade N gets 0.7, the others share the rest, as a server's top_logprobs would say."""
    return {str(g): math.log(0.7 if g == grade else 0.1) for g in range(4)}


def _answer(path: str, request: dict[str, Any], content: str, grade: int) -> dict[str, Any]:
    if path.startswith("/api/"):
        return {
            "message": {"role": "assistant", "content": content},
            "prompt_eval_count": 50,
            "eval_count": 4,
        }
    if path.endswith("/completions") and not path.endswith("/chat/completions"):
        # The prompt ends with the answer prefix in logprob mode: the grade is the one token.
        logprobs = request.get("logprobs")
        text = str(grade) if logprobs else content
        choice: dict[str, Any] = {"text": text}
        if logprobs:
            choice["logprobs"] = {"tokens": [text], "top_logprobs": [_top(grade)]}
        return {"choices": [choice], "usage": {"prompt_tokens": 50, "completion_tokens": 1}}
    body: dict[str, Any] = {
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 4},
    }
    if request.get("logprobs"):
        top = [{"token": t, "logprob": lp} for t, lp in _top(grade).items()]
        body["choices"][0]["logprobs"] = {
            "content": [
                {"token": "SCORE", "logprob": 0.0, "top_logprobs": []},
                {"token": ":", "logprob": 0.0, "top_logprobs": []},
                {"token": " ", "logprob": 0.0, "top_logprobs": []},
                {"token": str(grade), "logprob": math.log(0.7), "top_logprobs": top},
            ]
        }
    return body


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when 16 clients connect at once, and the
    # kernel retries them a second later.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a hanging request has closed its socket: expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes; with Nagle's algorithm on, the body
        # waits for the client's delayed ACK (about 40 ms) on every response.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length))
            with server._lock:
                server._in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server._in_flight)
            try:
                status, headers, body = server.respond(self.path, request, self.headers)
            finally:
                with server._lock:
                    server._in_flight -= 1
            if status == DROP:
                self.close_connection = True
                return
            length, pieces = (len(body), [body]) if isinstance(body, bytes) else body
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            written = 0
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                written += len(piece)
            # A body shorter than promised ends with the connection, as a cut stream does.
            self.close_connection = written < length

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
