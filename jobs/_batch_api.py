"""The OpenAI Batch API for a run: upload its request file, create the batch, poll it,
download the output and error files and import them.

Endpoints used (https://platform.openai.com/docs/api-reference/batch): `POST /files`
(multipart, `purpose=batch`), `POST /batches` (`input_file_id`, `endpoint`,
`completion_window`), `GET /batches/{id}`, `GET /files/{id}/content`, each under the run's
`base_url`. The batch id is stored with the run (`storage.record_run_batch`) as soon as the
API gives it, so any later process polls and fetches the same batch. The API key comes from
the environment variable the run names (`api_key_env`) or the caller, is never stored, and
is masked in every error this module raises and in what the import records.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

import judge
import storage

from ._batch import BatchImport, BatchRequests, import_batch_results
from ._judging import settings_of
from ._pairwise import pairwise_settings

# The API's states of a batch still at work, and the word this workbench adds once the
# batch's files are in the run.
WORKING = ("validating", "in_progress", "finalizing", "cancelling")
IMPORTED = "imported"
_WINDOW = "24h"  # the only completion window the Batch API offers
_TIMEOUT_S = 60.0


def _settings(store: storage.Store, run_id: int) -> judge.JudgeSettings:
    if storage.pairwise.is_pairwise_run(store, run_id):
        return pairwise_settings(storage.pairwise.get_pairwise_run(store, run_id))
    return settings_of(storage.get_run(store, run_id))


class _Api:
    """One client on the Batch API with the key masked in whatever it raises."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        judge.keep_out_of_logs(api_key)  # httpx logs URLs and headers at DEBUG
        self._mask = judge.Redactor.for_key(api_key)
        self.api_key = api_key
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=_TIMEOUT_S)
        self.base_url = base_url

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def call(self, send: Callable[[], httpx.Response], what: str) -> Any:
        try:
            response = send()
        except httpx.HTTPError as exc:
            raise self._error(
                f"{what}: cannot reach {self.base_url} ({type(exc).__name__}: {exc}); check "
                "base_url and that the server is up"
            ) from None
        if response.status_code >= 400:
            raise self._error(
                f"{what}: HTTP {response.status_code} from {self.base_url}: "
                f"{' '.join(response.text.split())[:200]!r}",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise self._error(f"{what}: the answer is not JSON") from None

    def download(self, file_id: str, into: Path) -> None:
        """A file's content, streamed to `into`: an output file is never held in memory."""
        what = f"downloading file {file_id}"
        try:
            with self.client.stream("GET", f"/files/{file_id}/content") as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error(
                        f"{what}: HTTP {response.status_code}: {response.text[:200]!r}",
                        status=response.status_code,
                    )
                with open(into, "wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.HTTPError as exc:
            raise self._error(f"{what}: {type(exc).__name__}: {exc}") from None

    def _error(self, message: str, status: int | None = None) -> judge.JudgeBackendError:
        return judge.JudgeBackendError(self._mask.text(message), status_code=status)


def _api(store: storage.Store, run_id: int, api_key: str | None) -> _Api:
    settings = _settings(store, run_id)
    return _Api(settings.base_url or "", settings.api_key(api_key))


def submit_batch(
    db: str | Path, requests: BatchRequests, *, api_key: str | None = None
) -> storage.RunBatch:
    """Upload a run's request file, create a batch of it, and keep the batch id with the run."""
    if not requests.requests or requests.url is None:
        raise judge.SettingsError(
            f"run {requests.run_id} has nothing left to judge: no batch to submit"
        )
    with storage.session(db) as store:
        api = _api(store, requests.run_id, api_key)
    with api, open(requests.path, "rb") as upload:
        uploaded = api.call(
            lambda: api.client.post(
                "/files",
                data={"purpose": "batch"},
                files={"file": (requests.path.name, upload, "application/jsonl")},
            ),
            f"uploading {requests.path}",
        )
        created = api.call(
            lambda: api.client.post(
                "/batches",
                json={
                    "input_file_id": uploaded["id"],
                    "endpoint": requests.url,
                    "completion_window": _WINDOW,
                    "metadata": {"run": str(requests.run_id)},
                },
            ),
            "creating the batch",
        )
    with storage.session(db) as store:
        storage.record_run_batch(
            store,
            requests.run_id,
            remote_batch=created["id"],
            base_url=api.base_url,
            status=created.get("status", "validating"),
            input_file_id=uploaded["id"],
        )
        return storage.latest_run_batch(store, requests.run_id)


def batch_status(db: str | Path, run_id: int, *, api_key: str | None = None) -> storage.RunBatch:
    """Ask the API how the run's last batch stands and keep the answer; an imported batch
    is not asked about again."""
    with storage.session(db) as store:
        stored = storage.latest_run_batch(store, run_id)
        if stored.status == IMPORTED:
            return stored
        api = _api(store, run_id, api_key)
    with api:
        found = api.call(
            lambda: api.client.get(f"/batches/{stored.remote_batch}"),
            f"asking for batch {stored.remote_batch}",
        )
    with storage.session(db) as store:
        storage.update_run_batch(
            store,
            stored.remote_batch,
            status=found.get("status", stored.status),
            output_file_id=found.get("output_file_id"),
            error_file_id=found.get("error_file_id"),
        )
        return storage.latest_run_batch(store, run_id)


def fetch_batch(
    db: str | Path,
    run_id: int,
    *,
    api_key: str | None = None,
    wait_s: float | None = None,
    poll_s: float = 10.0,
    on_poll: Callable[[storage.RunBatch], None] | None = None,
) -> BatchImport:
    """Download the output and error files of the run's last batch and import them.

    A batch still at work raises a JudgeError saying so; with `wait_s`, it is polled every
    `poll_s` seconds for up to that long first (`on_poll` hears each answer). Killing the
    wait loses nothing: the batch id is in the store, and the next fetch goes on from it."""
    deadline = None if wait_s is None else time.monotonic() + wait_s
    while True:
        batch = batch_status(db, run_id, api_key=api_key)
        if on_poll is not None:
            on_poll(batch)
        if batch.status not in WORKING:
            break
        if deadline is None or time.monotonic() + poll_s > deadline:
            raise judge.JudgeError(
                f"batch {batch.remote_batch} of run {run_id} is {batch.status}: fetch it "
                f"later with `cli.py batch fetch --run {run_id}` (--wait SECONDS polls)"
            )
        time.sleep(poll_s)
    if batch.status == IMPORTED:
        raise judge.JudgeError(
            f"batch {batch.remote_batch} of run {run_id} is imported already: to judge what "
            f"is still missing, `cli.py judge --resume {run_id} --batch-file FILE --submit`"
        )
    files = [f for f in (batch.output_file_id, batch.error_file_id) if f]
    if not files:
        raise judge.JudgeError(
            f"batch {batch.remote_batch} of run {run_id} is {batch.status} with no output or "
            "error file: submit the run's requests again"
        )
    with storage.session(db) as store:
        api = _api(store, run_id, api_key)
    with api, tempfile.TemporaryDirectory(prefix="batch-") as folder:
        paths = []
        for file_id in files:
            paths.append(Path(folder) / f"{file_id}.jsonl")
            api.download(file_id, paths[-1])
        imported = import_batch_results(db, run_id, paths, api_key=api.api_key)
    with storage.session(db) as store:
        storage.update_run_batch(store, batch.remote_batch, status=IMPORTED)
    return imported
