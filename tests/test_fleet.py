"""Fleets: a remote run through several endpoints on real HTTP servers on 127.0.0.1
(``DelayServer``, the fleet bench's server), one of them killed mid-run; the endpoint
recorded per judgment; resume with the same list; the CLI's repeated --base-url; the
breaker of ``judge._fleet`` on a clock of its own."""

from __future__ import annotations

import asyncio
import re
import shlex
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import DATASET, click, open_app

import cli
import jobs
import judge
import storage
from bench._fleet_scale import DelayServer
from judge._fleet import Fleet, FleetEndpoint

PAIRS = 60


@pytest.fixture
def servers(request: pytest.FixtureRequest) -> Iterator[list[DelayServer]]:
    """Three DelayServers; ``@pytest.mark.parametrize("servers", [N], indirect=True)``
    makes the second die after answering N requests."""
    die_after = getattr(request, "param", None)
    with ExitStack() as stack:
        yield [
            stack.enter_context(DelayServer(0.05, die_after=die_after if i == 1 else None))
            for i in range(3)
        ]


def fleet_settings(servers: list[DelayServer], **changes: Any) -> judge.JudgeSettings:
    fields: dict[str, Any] = {
        "backend": "openai",
        "model": "m",
        "endpoint": "completions",
        "top_logprobs": 4,
        "concurrency": 2,
        "max_retries": 1,
        "timeout_s": 30.0,
        **judge.base_url_fields([s.url for s in servers]),
    }
    return judge.JudgeSettings(**{**fields, **changes})


def answered(servers: list[DelayServer]) -> dict[str, int]:
    """What each server answered, keyed as judgments record its endpoint."""
    return {judge.endpoint_label(s.url): s.answered for s in servers}


@pytest.mark.parametrize("servers", [5], indirect=True)
def test_a_fleet_judges_every_pair_once_when_one_server_dies_mid_run(
    sample_db: Path, servers: list[DelayServer]
) -> None:
    probed: dict[str, int] = {}  # the endpoint probe asks before the run: not a judgment
    control = jobs.RunControl(on_endpoint=lambda choice: probed.update(answered(servers)))
    outcome = jobs.judge_dataset(
        sample_db, dataset=DATASET, settings=fleet_settings(servers), limit=PAIRS, control=control
    )
    for server in servers:
        server.kill()
    judgments = storage.run_judgments(sample_db, outcome.run_id)
    assert len(judgments) == PAIRS
    assert {j["parse_status"] for j in judgments.values()} == {"logprobs"}
    assert (outcome.summary.judged, outcome.summary.errors) == (PAIRS, 0)
    judging = {e: n - probed[e] for e, n in answered(servers).items()}
    assert storage.endpoint_counts(sample_db, outcome.run_id) == judging
    # The dead server answered 5 before it died; its share of the rest went to the others.
    dead = judge.endpoint_label(servers[1].url)
    assert judging[dead] == 5 - probed[dead] and sum(judging.values()) == PAIRS
    live = [n for e, n in judging.items() if e != dead]
    assert len(live) == 2 and min(live) > judging[dead]
    # The Runs page's bar: the speed of the recent batches, split by endpoint.
    progress = jobs.run_progress(sample_db, outcome.run_id)
    assert progress.pairs_per_s is not None and set(progress.per_endpoint) <= set(judging)
    assert sum(progress.per_endpoint.values()) == pytest.approx(progress.pairs_per_s)


def test_a_fleet_run_resumes_with_its_list_of_endpoints(
    sample_db: Path, servers: list[DelayServer]
) -> None:
    cancel = threading.Event()

    def stop_after_some(progress: judge.Progress) -> None:
        if progress.done >= 12:
            cancel.set()

    control = jobs.RunControl(on_progress=stop_after_some, cancel=cancel)
    settings = fleet_settings(servers)
    first = jobs.judge_dataset(
        sample_db, dataset=DATASET, settings=settings, limit=PAIRS, control=control
    )
    assert first.summary.cancelled
    stored = jobs.settings_for_run(sample_db, first.run_id)
    assert stored.base_urls == tuple(s.url for s in servers)
    assert first.endpoint is not None and stored == first.endpoint.settings
    before = storage.endpoint_counts(sample_db, first.run_id)

    resumed = jobs.resume_run(sample_db, first.run_id)
    assert not resumed.summary.cancelled
    assert len(storage.run_judgments(sample_db, first.run_id)) == PAIRS
    after = storage.endpoint_counts(sample_db, first.run_id)
    assert sum(after.values()) == PAIRS
    # The resume sent to every endpoint of the stored list.
    assert set(after) == set(answered(servers))
    assert all(after[e] > before.get(e, 0) for e in after), (before, after)


@pytest.mark.parametrize("pairwise", [False, True], ids=["graded", "pairwise"])
def test_a_dead_first_server_does_not_stop_the_fleet(
    sample_db: Path, servers: list[DelayServer], pairwise: bool
) -> None:
    servers[0].kill()
    chosen: list[judge.EndpointChoice] = []
    control = jobs.RunControl(on_endpoint=chosen.append)
    if pairwise:
        for server in servers[1:]:
            server.tokens = {"A": 0.6, "B": 0.3, "tie": 0.1}
        template = judge.list_pairwise_templates()[0].text
        settings = fleet_settings(servers, template=template, top_logprobs=3)
        plan = judge.ComparisonPlan(per_product=0.5, seed=2)
        outcome: Any = jobs.judge_pairwise(
            sample_db, dataset=DATASET, settings=settings, plan=plan, max_queries=1, control=control
        )
        kind, expected = storage.RunKind.PAIRWISE, 2 * outcome.comparisons
    else:
        outcome = jobs.judge_dataset(
            sample_db, dataset=DATASET, settings=fleet_settings(servers), limit=20, control=control
        )
        kind, expected = storage.RunKind.GRADED, 20
    assert (outcome.summary.judged, outcome.summary.errors) == (expected, 0)
    assert chosen[0].reason.endswith("(probed on endpoint 2 of 3; 1 before it gave no answer)")
    # The run keeps the whole list: the dead server is the fleet's to take out, not the probe's.
    assert chosen[0].settings.base_urls == tuple(s.url for s in servers)
    counts = storage.endpoint_counts(sample_db, outcome.run_id, kind)
    assert sum(counts.values()) == expected
    assert set(counts) == {judge.endpoint_label(s.url) for s in servers[1:]}


def test_a_fleet_with_no_server_up_is_the_first_ones_error(
    sample_db: Path, servers: list[DelayServer]
) -> None:
    for server in servers:
        server.kill()
    with pytest.raises(judge.JudgeBackendError, match=re.escape(servers[0].url)):
        jobs.judge_dataset(sample_db, dataset=DATASET, settings=fleet_settings(servers), limit=5)
    assert storage.list_runs(sample_db).empty


def test_an_old_runs_stored_settings_still_load(sample_db: Path) -> None:
    settings = judge.JudgeSettings(backend="openai", model="m", base_url="http://127.0.0.1:9/v1")
    provenance = settings.provenance()
    del provenance["params"]["extra_base_urls"]  # as a run stored before fleets has them
    run_id = storage.create_run(sample_db, name="old", dataset=DATASET, **provenance)
    loaded = jobs.settings_for_run(sample_db, run_id)
    assert loaded == settings
    assert loaded.base_urls == ("http://127.0.0.1:9/v1",)
    assert loaded.connection.base_url == "http://127.0.0.1:9/v1"
    assert loaded.prompt.template == settings.template


def test_the_cli_takes_base_url_again_for_a_fleet(
    sample_db: Path, servers: list[DelayServer], capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [arg for s in servers for arg in ("--base-url", s.url)]
    flags = ["--backend", "openai", "--model", "m", "--endpoint", "completions"]
    code = cli.main(["--db", str(sample_db), "judge", *flags, *urls, "--limit", "30"])
    err = capsys.readouterr().err
    assert code == 0, err
    last = err.split("\r")[-1]  # the progress line as it ended
    assert "30/30" in last and "per endpoint: " in last
    assert all(f"{label} " in last for label in answered(servers)), last
    (run_id,) = storage.list_runs(sample_db)["run_id"]
    assert jobs.settings_for_run(sample_db, int(run_id)).base_urls == tuple(s.url for s in servers)
    counts = storage.endpoint_counts(sample_db, int(run_id))
    assert set(counts) == set(answered(servers)) and sum(counts.values()) == 30
    # Each server answered what it is counted for (and the first, the endpoint probe).
    assert all(0 < n <= answered(servers)[e] for e, n in counts.items())


@pytest.mark.parametrize("bad", ["127.0.0.1:8000/v1", "http://", "http://127.0.0.1:port/v1"])
def test_a_bad_url_in_the_list_is_one_error_line(
    sample_db: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    flags = ["--backend", "openai", "--model", "m"]
    urls = ["--base-url", "http://127.0.0.1:9/v1", "--base-url", bad]
    assert cli.main(["--db", str(sample_db), "judge", *flags, *urls]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: base_url {bad!r} (2 of 2) is not an http(s) URL with a host: write it as "
        "http://HOST:PORT/v1 (an OpenAI-compatible root) or http://HOST:11434 (Ollama)\n"
    )
    assert storage.list_runs(sample_db).empty


def test_the_fleet_url_keeps_no_credentials_or_query() -> None:
    assert (
        judge.endpoint_label("https://user:sk-123@gpu-3.example:8443/v1/?key=sk-123#x")
        == "https://gpu-3.example:8443/v1"
    )


def test_a_dead_endpoint_is_taken_out_then_tried_again_alone() -> None:
    now = [0.0]

    async def scenario() -> None:
        a, b = FleetEndpoint("a", client=None), FleetEndpoint("b", client=None)  # type: ignore[arg-type]
        fleet = Fleet([a, b], concurrency=2, clock=lambda: now[0])
        assert await fleet.take() is a  # both idle: the first
        assert await fleet.take() is b  # the least busy
        await fleet.give_back(a, answered=False)  # no answer after its retries: out
        assert a.state(now[0]) == "open" and fleet.can_move([a])
        assert await fleet.take() is b  # a is out: b, though busier
        for _ in range(2):
            await fleet.give_back(b, answered=True)
        now[0] = 2.0  # the first cool-down is over: one trial request
        assert a.state(now[0]) == "half-open"
        assert await fleet.take() is a
        assert [await fleet.take(), await fleet.take()] == [b, b]  # a takes one at a time
        await fleet.give_back(a, answered=False)  # the trial failed: out for twice as long
        assert a.open_until == 2.0 + 4.0
        now[0] = 6.0
        assert await fleet.take([b]) is a
        await fleet.give_back(a, answered=True)  # back
        assert a.state(now[0]) == "closed" and a.cool_down_s == 2.0
        assert fleet.answered() == {"a": 1, "b": 2}

    asyncio.run(scenario())


def test_with_every_endpoint_out_the_soonest_back_is_asked() -> None:
    now = [0.0]

    async def scenario() -> None:
        a, b = FleetEndpoint("a", client=None), FleetEndpoint("b", client=None)  # type: ignore[arg-type]
        fleet = Fleet([a, b], concurrency=1, clock=lambda: now[0])
        await fleet.take()
        await fleet.give_back(a, answered=False)
        now[0] = 1.0
        await fleet.take()
        await fleet.give_back(b, answered=False)
        # Nothing is up to move to: the pair is handed on as failed, and the next one
        # goes to the endpoint whose cool-down ends first.
        assert not fleet.can_move([a])
        assert await fleet.take() is a

    asyncio.run(scenario())


def test_the_runs_page_takes_one_base_url_per_line(store, servers: list[DelayServer]) -> None:
    db, _ = store
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.selectbox(key="run-scope").set_value("benchmark").run()
    at.segmented_control(key="run-backend").set_value("openai").run()
    at.text_area(key="run-base-url").input("\n".join(s.url for s in servers) + "\n")
    at.text_input(key="run-remote-model").input("my-judge")
    at.selectbox(key="run-endpoint").set_value("completions").run()
    at = click(at, "start-run")
    job = at.session_state["judge-jobs"][DATASET]
    job.wait(timeout=120)
    assert job.error is None, job.error
    at.run()
    assert not at.exception
    run_id = job.outcome.run_id
    assert jobs.settings_for_run(db, run_id).base_urls == tuple(s.url for s in servers)
    counts = storage.endpoint_counts(db, run_id)
    assert set(counts) == set(answered(servers))
    assert sum(counts.values()) == len(storage.run_judgments(db, run_id))


def test_a_bad_url_on_the_runs_page_is_one_error_and_starts_nothing(store) -> None:
    db, _ = store
    runs = len(storage.list_runs(db))
    at = open_app("runs", query={"runs-tab": "Start a run"})
    at.segmented_control(key="run-backend").set_value("openai").run()
    at.text_area(key="run-base-url").input("http://127.0.0.1:9/v1\ngpu-2:8000/v1")
    at.text_input(key="run-remote-model").input("my-judge").run()
    at = click(at, "start-run")
    assert [e.value.replace("\\", "") for e in at.error] == [
        "base_url 'gpu-2:8000/v1' (2 of 2) is not an http(s) URL with a host: write it as "
        "http://HOST:PORT/v1 (an OpenAI-compatible root) or http://HOST:11434 (Ollama)"
    ]
    assert len(storage.list_runs(db)) == runs


def test_a_pairwise_run_through_a_fleet_records_who_answered_each_order(sample_db: Path) -> None:
    choices = {"A": 0.6, "B": 0.3, "tie": 0.1}
    with ExitStack() as stack:
        servers = [stack.enter_context(DelayServer(0.05, tokens=choices)) for _ in range(3)]
        settings = fleet_settings(
            servers, template=judge.list_pairwise_templates()[0].text, top_logprobs=3
        )
        outcome = jobs.judge_pairwise(
            sample_db,
            dataset=DATASET,
            settings=settings,
            plan=judge.ComparisonPlan(per_product=0.5, seed=2),
            max_queries=2,
        )
    assert (outcome.summary.judged, outcome.summary.errors) == (2 * outcome.comparisons, 0)
    counts = storage.endpoint_counts(sample_db, outcome.run_id, storage.RunKind.PAIRWISE)
    assert sum(counts.values()) == 2 * outcome.comparisons
    assert set(counts) == set(answered(servers))
    stored = storage.pairwise.pairwise_comparisons(sample_db, outcome.run_id)
    assert stored.p_first_ab.tolist() == pytest.approx([0.6] * len(stored))


def test_the_readme_fleet_command_is_one_the_cli_takes() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### A fleet of OpenAI-compatible servers\n")[1].split("\n#")[0]
    (line,) = re.findall(r"^\$py cli\.py (judge .*)$", section.replace("\\\n", " "), re.M)
    args = cli._parser().parse_args(shlex.split(line))
    assert len(args.base_url) == 3
    settings = judge.JudgeSettings(
        backend=args.backend, model=args.model, **judge.base_url_fields(args.base_url)
    )
    assert settings.base_urls == tuple(args.base_url)
