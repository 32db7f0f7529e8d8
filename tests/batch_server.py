"""Stand-ins for the batch engines, answering from a real OpenAI-compatible server
(llama-cpp-python's, on the bundled model) so tests play batch files end to end.

- `run_batch(requests, results, upstream)` does what `vllm run-batch -i ... -o ...` does
  (vLLM needs a GPU): each request line's body is POSTed to its url under `upstream`, and
  one line per request is written in the batch output format.
- `BatchServer` implements the OpenAI Batch API's documented endpoints (`POST /v1/files`,
  `POST /v1/batches`, `GET /v1/batches/{id}`, `GET /v1/files/{id}/content`) and answers each
  request of a batch the same way, writing failed requests to an error file as OpenAI does.
  `hold` keeps a batch in progress until the test releases it.

llama-cpp-python's server computes logprobs over every prompt position when an answer is
asked for whole, tens of seconds per request on two cores, but over the new token only when
it streams; so a body is sent streamed and the events merged back into the answer it would
have sent whole (`merge_stream`, the remote backend's own reader of such streams).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from processes import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from judge._payloads import merge_stream

_ids = itertools.count(1)


def answer(line: dict[str, Any], upstream: str, client: httpx.Client) -> dict[str, Any]:
    """The batch output line for one request line, from the server at `upstream` (its API
    root, ending in /v1)."""
    body = {**line["body"], "stream": True}
    path = line["url"].removeprefix("/v1")
    reply = client.post(f"{upstream}{path}", json=body, timeout=600)
    request_id = f"req_{next(_ids)}"
    if reply.status_code == 200:
        answered: Any = merge_stream(reply.text)
    else:
        answered = {"error": {"message": reply.text}}
    return {
        "id": f"batch_req_{request_id}",
        "custom_id": line["custom_id"],
        "response": {"status_code": reply.status_code, "request_id": request_id, "body": answered},
        "error": None,
    }


def run_batch(requests: Path, results: Path, upstream: str) -> int:
    """`vllm run-batch -i requests -o results`, one request at a time; returns the lines."""
    count = 0
    with httpx.Client() as client, open(requests) as lines, open(results, "w") as out:
        for line in lines:
            out.write(json.dumps(answer(json.loads(line), upstream, client)) + "\n")
            count += 1
    return count


class BatchServer:
    """The OpenAI Batch API on 127.0.0.1, answering from `upstream`; `url` is its API root.
    With `api_key`, a request without `Authorization: Bearer <api_key>` gets HTTP 401."""

    def __init__(self, upstream: str, *, api_key: str | None = None) -> None:
        self.upstream = upstream
        self.api_key = api_key
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.hold = threading.Event()  # set: batches wait in progress until released
        self._release = threading.Event()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.app = Starlette(
            routes=[
                Route("/v1/files", self._upload, methods=["POST"]),
                Route("/v1/files/{file_id}/content", self._content, methods=["GET"]),
                Route("/v1/batches", self._create, methods=["POST"]),
                Route("/v1/batches/{batch_id}", self._retrieve, methods=["GET"]),
            ]
        )

    def release(self) -> None:
        """Let held batches go on."""
        self._release.set()

    def _refused(self, request: Request) -> Response | None:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": {"message": "Incorrect API key"}}, status_code=401)
        return None

    async def _upload(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        async with request.form() as form:
            upload = form.get("file")
            if form.get("purpose") != "batch" or upload is None or isinstance(upload, str):
                return JSONResponse({"error": {"message": "purpose=batch and a file"}}, 400)
            file_id = f"file-{next(_ids)}"
            self.files[file_id] = await upload.read()
        return JSONResponse(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(self.files[file_id]),
                "created_at": int(time.time()),
                "filename": upload.filename,
                "purpose": "batch",
            }
        )

    async def _content(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        content = self.files.get(request.path_params["file_id"])
        if content is None:
            return JSONResponse({"error": {"message": "no such file"}}, status_code=404)
        return Response(content, media_type="application/jsonl")

    async def _create(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        asked = await request.json()
        if asked.get("input_file_id") not in self.files or asked.get("endpoint") not in (
            "/v1/completions",
            "/v1/chat/completions",
        ):
            return JSONResponse({"error": {"message": "bad input_file_id or endpoint"}}, 400)
        batch_id = f"batch_{next(_ids)}"
        batch = {
            "id": batch_id,
            "object": "batch",
            "endpoint": asked["endpoint"],
            "input_file_id": asked["input_file_id"],
            "completion_window": asked.get("completion_window"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": asked.get("metadata"),
        }
        self.batches[batch_id] = batch
        threading.Thread(target=self._work, args=(batch,), daemon=True).start()
        return JSONResponse(batch)

    async def _retrieve(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            return JSONResponse({"error": {"message": "no such batch"}}, status_code=404)
        return JSONResponse(batch)

    def _work(self, batch: dict[str, Any]) -> None:
        lines = self.files[batch["input_file_id"]].decode().splitlines()
        batch["request_counts"]["total"] = len(lines)
        batch["status"] = "in_progress"
        if self.hold.is_set():
            self._release.wait()
        done, failed = [], []
        with httpx.Client() as client:
            for line in lines:
                out = answer(json.loads(line), self.upstream, client)
                ok = out["response"]["status_code"] == 200
                (done if ok else failed).append(json.dumps(out))
                batch["request_counts"]["completed" if ok else "failed"] += 1
        for name, kept in (("output_file_id", done), ("error_file_id", failed)):
            if kept:
                file_id = f"file-{next(_ids)}"
                self.files[file_id] = ("\n".join(kept) + "\n").encode()
                batch[name] = file_id
        batch["status"] = "completed"


@contextmanager
def batch_server(upstream: str, *, api_key: str | None = None) -> Iterator[BatchServer]:
    """A running BatchServer, stopped after."""
    server = BatchServer(upstream, api_key=api_key)
    config = uvicorn.Config(server.app, host="127.0.0.1", port=server.port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the batch server did not start")
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.release()
        running.should_exit = True
        thread.join(timeout=10)
