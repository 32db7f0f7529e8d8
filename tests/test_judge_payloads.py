"""Request bodies and response readers of the remote APIs, with no network."""

from __future__ import annotations

import json
import math

import pytest

from judge import AnswerFormat, JudgeBackendError, JudgeSettings, SettingsError
from judge._payloads import build_request, grade_alternatives, merge_stream, read_answer

PROMPT = "Query: desk\nProduct name: oak desk\n"
SCORE = AnswerFormat("SCORE: ", (0, 1, 2))


def settings(**overrides):
    base = {"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:1/v1", "seed": 7}
    return JudgeSettings(**(base | overrides))


def test_openai_chat_logprobs_request_streams_the_tokens_the_probe_found():
    request = build_request(settings(endpoint="chat", max_tokens=4, top_logprobs=5), PROMPT, SCORE)
    assert request.path == "/chat/completions"
    assert request.body == {
        "model": "m",
        "max_tokens": 4,
        "temperature": 0.0,
        "seed": 7,
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": PROMPT}],
        "logprobs": True,
        "top_logprobs": 5,
    }
    assert request.streamed and not request.answer_prefix_sent


def test_openai_chat_generate_request_asks_no_logprobs_and_no_stream():
    request = build_request(
        settings(endpoint="chat", mode="generate", max_tokens=64), PROMPT, SCORE
    )
    body = request.body
    assert body["max_tokens"] == 64
    assert "logprobs" not in body and "top_logprobs" not in body and "stream" not in body
    assert not request.streamed


def test_auto_is_resolved_before_a_request_is_built():
    with pytest.raises(SettingsError, match="endpoint 'auto' is resolved by the endpoint probe"):
        build_request(settings(), PROMPT, SCORE)


def test_openai_completions_logprobs_request_sends_the_answer_prefix():
    request = build_request(settings(endpoint="completions"), PROMPT, SCORE)
    assert request.path == "/completions"
    assert request.body["prompt"] == PROMPT + "SCORE: "
    assert request.body["max_tokens"] == 1
    assert request.body["logprobs"] == 20
    assert request.answer_prefix_sent


def test_openai_completions_generate_request_sends_the_prompt():
    request = build_request(settings(endpoint="completions", mode="generate"), PROMPT, SCORE)
    assert request.body["prompt"] == PROMPT
    assert "logprobs" not in request.body


def test_ollama_requests():
    ollama = {"backend": "ollama", "base_url": None, "n_ctx": 4096}
    chat = build_request(settings(**ollama, mode="generate", endpoint="chat"), PROMPT, SCORE)
    assert chat.path == "/api/chat"
    assert chat.body == {
        "model": "m",
        "stream": False,
        "options": {"temperature": 0.0, "seed": 7, "num_predict": 256, "num_ctx": 4096},
        "messages": [{"role": "user", "content": PROMPT}],
    }
    generate = build_request(settings(**ollama, endpoint="completions"), PROMPT, SCORE)
    assert generate.path == "/api/generate"
    assert generate.body["prompt"] == PROMPT + "SCORE: "
    assert generate.body["raw"] is True
    assert generate.body["options"]["num_predict"] == 1
    assert (generate.body["logprobs"], generate.body["top_logprobs"]) == (True, 20)


def test_read_openai_chat_with_logprobs():
    body = {
        "choices": [
            {
                "message": {"role": "assistant", "content": "SCORE: 2"},
                "logprobs": {
                    "content": [
                        {
                            "token": "SCORE",
                            "logprob": -0.1,
                            "top_logprobs": [{"token": "SCORE", "logprob": -0.1}],
                        },
                        {
                            "token": ":",
                            "logprob": 0.0,
                            "top_logprobs": [{"token": ":", "logprob": 0.0}],
                        },
                        {
                            "token": " 2",
                            "logprob": -0.4,
                            "top_logprobs": [
                                {"token": " 2", "logprob": math.log(0.6)},
                                {"token": " 1", "logprob": math.log(0.3)},
                            ],
                        },
                    ]
                },
            }
        ],
        "usage": {"prompt_tokens": 40, "completion_tokens": 3},
    }
    answer = read_answer(settings(), body)
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens) == ("SCORE: 2", 40, 3)
    assert grade_alternatives(answer.tokens, SCORE) == {
        " 2": math.log(0.6),
        " 1": math.log(0.3),
    }


def test_read_openai_completions_with_logprobs():
    body = {
        "choices": [
            {"text": "1", "logprobs": {"tokens": ["1"], "top_logprobs": [{"1": -0.2, "0": -1.9}]}}
        ],
        "usage": {"prompt_tokens": 41, "completion_tokens": 1},
    }
    answer = read_answer(settings(endpoint="completions"), body)
    assert answer.text == "1"
    assert grade_alternatives(answer.tokens, SCORE, preceding="SCORE: ") == {
        "1": -0.2,
        "0": -1.9,
    }
    assert grade_alternatives(answer.tokens, SCORE) is None


def test_read_ollama_chat_and_generate():
    chat = {"message": {"content": "SCORE: 0"}, "prompt_eval_count": 30, "eval_count": 4}
    answer = read_answer(settings(backend="ollama"), chat)
    assert (answer.text, answer.tokens, answer.prompt_tokens, answer.completion_tokens) == (
        "SCORE: 0",
        [],
        30,
        4,
    )
    generate = {
        "response": "2",
        "logprobs": [
            {"token": "2", "logprob": -0.1, "top_logprobs": [{"token": "2", "logprob": -0.1}]}
        ],
    }
    answer = read_answer(settings(backend="ollama", endpoint="completions"), generate)
    assert answer.tokens == [("2", {"2": -0.1})]
    assert answer.prompt_tokens is None


def test_grade_alternatives_takes_the_last_grade_position():
    tokens = [
        ("SCORE", {}),
        (":", {}),
        (" ", {}),
        ("1", {"1": -1.0}),
        ("\n", {}),
        ("SCORE", {}),
        (":", {}),
        (" ", {}),
        ("2", {"2": -0.5}),
    ]
    assert grade_alternatives(tokens, SCORE) == {"2": -0.5}
    assert grade_alternatives([("The", {}), (" 2", {})], SCORE) is None


@pytest.mark.parametrize(
    "body",
    [{}, {"choices": []}, {"choices": [{"message": {"content": None}}]}, [], "SCORE: 2"],
)
def test_malformed_bodies_raise_with_the_body(body):
    with pytest.raises(JudgeBackendError, match="the response has no usable answer") as info:
        read_answer(settings(), body)
    assert info.value.body == str(body)


def test_a_prefix_sent_in_the_prompt_makes_the_first_token_the_grade_position():
    """Over completions the model may pick a newline after 'SCORE: '; its alternatives still
    hold the grades, as the in-process judge reads them."""
    tokens = [("\n", {"\n": -0.5, "1": -1.0, "0": -2.0})]
    assert grade_alternatives(tokens, SCORE, preceding="SCORE: ") == tokens[0][1]
    assert grade_alternatives(tokens, SCORE) is None


def test_read_llama_server_completions_logprobs():
    """llama.cpp's llama-server answers /v1/completions with chat-shaped logprobs."""
    body = {
        "choices": [
            {
                "text": "2",
                "logprobs": {
                    "content": [
                        {
                            "token": "2",
                            "logprob": -0.3,
                            "top_logprobs": [
                                {"token": "2", "logprob": -0.3},
                                {"token": "1", "logprob": -1.5},
                            ],
                        }
                    ]
                },
            }
        ],
        "usage": {"prompt_tokens": 41, "completion_tokens": 1},
    }
    answer = read_answer(settings(endpoint="completions"), body)
    assert answer.tokens == [("2", {"2": -0.3, "1": -1.5})]
    assert answer.prompt_tokens == 41


def events(*chunks: object) -> str:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def test_merge_stream_joins_chat_deltas_and_takes_usage():
    entry = {"token": "2", "logprob": -0.2, "top_logprobs": [{"token": "2", "logprob": -0.2}]}
    text = events(
        {"choices": [{"delta": {"role": "assistant", "content": "SCORE:"}, "logprobs": None}]},
        {"choices": [{"delta": {"content": " 2"}, "logprobs": {"content": [entry]}}]},
        {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 2}},
    )
    answer = read_answer(settings(endpoint="chat"), merge_stream(text))
    assert answer.text == "SCORE: 2"
    assert answer.tokens == [("2", {"2": -0.2})]
    assert (answer.prompt_tokens, answer.completion_tokens) == (12, 2)


def test_merge_stream_reads_completions_as_llama_cpp_python_streams_them():
    """Two events, the second with no logprobs, and no usage: token counts stay unknown."""
    text = events(
        {"choices": [{"text": "0", "logprobs": {"tokens": ["0"], "top_logprobs": [{"0": -1.2}]}}]},
        {"choices": [{"text": "", "logprobs": None, "finish_reason": "length"}]},
    )
    answer = read_answer(settings(endpoint="completions"), merge_stream(text))
    assert (answer.text, answer.tokens, answer.prompt_tokens) == ("0", [("0", {"0": -1.2})], None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data: {not json\n\n", "Expecting property name"),
        ('data: {"error": {"message": "out of memory"}}\n\n', "error mid-stream.*out of memory"),
    ],
)
def test_merge_stream_refuses_what_it_cannot_read(text, message):
    with pytest.raises(ValueError, match=message):
        merge_stream(text)
