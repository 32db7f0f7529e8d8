"""The endpoint probe against a real HTTP server on 127.0.0.1 that acts out the servers
people run: chat with logprobs, chat refused for want of a chat template, no logprobs."""

from __future__ import annotations

import dataclasses

import pytest
from judge_fault_server import FaultServer
from judge_fixtures import make_pair

from judge import JudgeSettings, SettingsError, choose_endpoint, run_judge

TEMPLATE = "Grade the product. Answer with SCORE: N\nProduct: {product_name}\n"


@pytest.fixture(scope="module")
def server():
    with FaultServer() as running:
        yield running


def settings(server: FaultServer, **overrides) -> JudgeSettings:
    base = {"backend": "openai", "model": "m", "base_url": server.url, "template": TEMPLATE}
    return JudgeSettings(**(base | overrides))


def prompt(fault: str) -> str:
    return f"Grade the product. Answer with SCORE: N\nProduct: pair=1 fault={fault}\n"


def test_chat_with_logprobs_is_chosen_and_asks_one_token_past_the_prefix(server):
    choice = choose_endpoint(settings(server), prompt("ok2"))
    # The answer came as SCORE, ":", " ", "2": the run asks for those four tokens, and for
    # the three grades ranked first plus one alternative per grade of room.
    assert (choice.settings.endpoint, choice.settings.max_tokens) == ("chat", 4)
    assert choice.settings.top_logprobs == 6
    assert choice.reason == "chat: the grade digits come back as logprobs"


def test_a_server_without_a_chat_template_gets_completions_and_says_why(server):
    choice = choose_endpoint(settings(server), prompt("nochat1"))
    assert choice.settings.endpoint == "completions"
    assert choice.reason == (
        'chat: the server refused it with HTTP 400 (it said \'{"error": {"message": '
        '"this model has no chat template"}}\'); completions: the grade digits come back as '
        "logprobs"
    )
    assert choice.reason.endswith("completions: the grade digits come back as logprobs")


def test_chat_named_on_a_server_without_a_chat_template_is_one_clear_error(server):
    with pytest.raises(SettingsError) as refused:
        choose_endpoint(settings(server, endpoint="chat"), prompt("nochat1"))
    message = str(refused.value)
    assert message.startswith(f"{server.url} cannot score 'm' by logprobs: chat: the server")
    assert message.endswith("use --endpoint auto (or pick the other API) to try both")
    assert "\n" not in message


def test_a_server_with_no_logprobs_is_told_to_generate(server):
    with pytest.raises(SettingsError) as refused:
        choose_endpoint(settings(server), prompt("nologprobs1"))
    assert str(refused.value) == (
        f"{server.url} cannot score 'm' by logprobs: chat: the server returns no logprobs; "
        "completions: the server returns no logprobs; use --mode generate, which reads the "
        "answer from the text"
    )


def test_generation_needs_no_probe(server):
    server.reset_counts()
    choice = choose_endpoint(settings(server, mode="generate"), prompt("ok1"))
    assert choice.settings.endpoint == "chat" and not server.requests
    named = choose_endpoint(settings(server, mode="generate", endpoint="completions"), "x")
    assert named.settings.endpoint == "completions"


def test_a_run_with_endpoint_auto_judges_every_pair_through_the_probed_endpoint(server):
    pairs = [make_pair(i, product_name=f"pair={i} fault=nochat{i % 3}") for i in range(1, 7)]
    results = []
    summary = run_judge(pairs, settings(server), on_result=results.append)
    assert (summary.judged, summary.errors) == (6, 0)
    by_pair = {j.pair_id: j for j in results}
    for i in range(1, 7):
        assert (by_pair[i].grade, by_pair[i].parse_status) == (i % 3, "logprobs")
        assert by_pair[i].probs == pytest.approx(
            [0.7 / 0.9 if g == i % 3 else 0.1 / 0.9 for g in range(3)]
        )
        assert by_pair[i].completion_tokens == 1


def test_settings_refuse_more_alternatives_than_servers_give():
    with pytest.raises(SettingsError, match="top_logprobs must be at most 20"):
        dataclasses.replace(JudgeSettings(), top_logprobs=21)


def test_the_probe_masks_the_api_key_in_what_it_says(server, monkeypatch):
    """A key pasted into base_url, and a server that echoes the request headers."""
    key = "sk-probe-7f3a"
    monkeypatch.setenv("PROBE_KEY", key)
    keyed = settings(server, base_url=f"{server.url}/{key}", api_key_env="PROBE_KEY")
    with pytest.raises(SettingsError) as refused:
        choose_endpoint(keyed, prompt("echo400"))
    assert key not in str(refused.value)
    # The quoted answer is cut before the echoed Authorization header; the URL shows masking.
    assert f"{server.url}/***" in str(refused.value)


@pytest.mark.parametrize(
    ("fault", "hint"),
    [
        (
            "404",
            "the server has no such path or model: check base_url (OpenAI-compatible roots "
            "usually end in /v1) and the model name.",
        ),
        (
            "401",
            "the server did not accept the API key: check the API key (the environment "
            "variable named by api_key_env).",
        ),
    ],
)
def test_a_refusal_of_every_endpoint_names_its_cause_and_no_chat_template(server, fault, hint):
    with pytest.raises(SettingsError) as refused:
        choose_endpoint(settings(server), prompt(fault))
    assert str(refused.value) == (
        f"{server.url} answered HTTP {fault} for 'm' (chat, completions): {hint}"
    )
