"""Settings: coercion, errors that say what to do, provenance without secrets."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

import judge
from judge import Backend, JudgeSettings, Mode, SettingsError, TemplateError, load_template


def test_defaults_are_the_wands_logprob_judge_on_the_bundled_model():
    settings = JudgeSettings()
    assert settings.backend is Backend.LLAMA_CPP
    assert settings.mode is Mode.LOGPROBS
    assert settings.template == load_template("wands")
    assert settings.scale.grades == (0, 1, 2)


def test_strings_become_enums_and_grades_a_scale():
    settings = JudgeSettings(backend="ollama", model="m", mode="generate", scale=[1, 2, 3])
    assert settings.backend is Backend.OLLAMA and settings.mode is Mode.GENERATE
    assert settings.scale.grades == (1, 2, 3)
    assert settings.base_url == "http://127.0.0.1:11434"
    assert hash(settings) == hash(
        JudgeSettings(backend="ollama", model="m", mode="generate", scale=(1, 2, 3))
    )


def test_settings_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        JudgeSettings("llama_cpp")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        JudgeSettings().mode = Mode.GENERATE  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"backend": "vllm"},
            SettingsError,
            "backend 'vllm' is not one of llama_cpp, openai, ollama",
        ),
        ({"mode": "sample"}, SettingsError, "mode 'sample' is not one of logprobs, generate"),
        ({"backend": "openai"}, SettingsError, "backend openai needs a model name"),
        ({"concurrency": 0}, SettingsError, "concurrency must be at least 1, got 0"),
        ({"max_retries": -1}, SettingsError, "max_retries must be at least 0, got -1"),
        ({"max_answer_bytes": 0}, SettingsError, "max_answer_bytes must be at least 1, got 0"),
        (
            {"max_consecutive_failures": 0},
            SettingsError,
            "max_consecutive_failures must be at least 1, got 0",
        ),
        ({"timeout_s": 0}, SettingsError, "timeout_s must be a number of seconds above 0, got 0"),
        ({"timeout_s": float("nan")}, SettingsError, "timeout_s must be a number of seconds"),
        ({"timeout_s": float("inf")}, SettingsError, "timeout_s must be a number of seconds"),
        ({"scale": (0, 1, 12)}, TemplateError, "outside 0-9"),
    ],
)
def test_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        JudgeSettings(**kwargs)


def test_remote_provenance_has_no_file_hash_and_no_key(monkeypatch):
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-secret-123")
    settings = JudgeSettings(
        backend="openai",
        model="gpt-x",
        base_url="http://127.0.0.1:9/v1",
        api_key_env="JUDGE_TEST_KEY",
    )
    record = settings.provenance()
    assert record["backend"] == "openai" and record["model"] == "gpt-x"
    assert record["model_sha256"] is None
    assert record["prompt_sha256"] == hashlib.sha256(settings.template.encode()).hexdigest()
    assert record["scale"] == [0, 1, 2]
    assert record["params"]["api_key_env"] == "JUDGE_TEST_KEY"
    assert set(record["params"]) == {
        "base_url",
        "extra_base_urls",
        "api_key_env",
        "mode",
        "n_ctx",
        "n_threads",
        "n_gpu_layers",
        "concurrency",
        "timeout_s",
        "max_retries",
        "max_answer_bytes",
        "max_consecutive_failures",
        "max_tokens",
        "top_logprobs",
        "temperature",
        "seed",
        "endpoint",
        "score_map",
        "reference",
    }
    assert "sk-secret-123" not in json.dumps(record)


def test_local_provenance_hashes_the_model_file(tmp_path):
    model = tmp_path / "judge.gguf"
    model.write_bytes(b"GGUF not really")
    record = JudgeSettings(model=str(model)).provenance()
    assert record["model"] == str(model)
    assert record["model_sha256"] == hashlib.sha256(b"GGUF not really").hexdigest()
    assert record["params"]["mode"] == "logprobs"
    json.dumps(record)


def test_remote_limits_default_to_a_few_hundred_kb_and_eight_failures():
    settings = JudgeSettings()
    assert (settings.max_answer_bytes, settings.max_consecutive_failures) == (256 * 1024, 8)


def test_a_key_pasted_into_the_params_is_masked(monkeypatch):
    """The params are stored with the run: a key in base_url (as some gateways take it) must
    not land there, in any form it takes in a URL."""
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-se/cret+1")
    settings = JudgeSettings(
        backend="openai",
        model="gpt-x",
        base_url="http://127.0.0.1:9/v1?key=sk-se%2Fcret%2B1&raw=sk-se/cret+1",
        api_key_env="JUDGE_TEST_KEY",
    )
    params = settings.provenance()["params"]
    assert params["base_url"] == "http://127.0.0.1:9/v1?key=***&raw=***"
    given = JudgeSettings(backend="openai", model="m", base_url="http://h/sk-given/v1")
    assert given.provenance(api_key="sk-given")["params"]["base_url"] == "http://h/***/v1"
    assert given.provenance()["params"]["base_url"] == "http://h/sk-given/v1"  # no key, no mask


def test_api_key_comes_from_the_call_or_the_environment(monkeypatch):
    settings = JudgeSettings(backend="openai", model="m", api_key_env="JUDGE_TEST_KEY")
    monkeypatch.delenv("JUDGE_TEST_KEY", raising=False)
    assert settings.api_key("sk-given") == "sk-given"
    with pytest.raises(SettingsError, match="environment variable JUDGE_TEST_KEY is not set"):
        settings.api_key()
    monkeypatch.setenv("JUDGE_TEST_KEY", "sk-env")
    assert settings.api_key() == "sk-env"
    assert JudgeSettings(backend="openai", model="m").api_key() is None


def test_settings_are_the_backends_part_and_the_prompts_part():
    connection = {f.name for f in dataclasses.fields(judge.ConnectionSettings)}
    prompt = {f.name for f in dataclasses.fields(judge.PromptSettings)}
    assert not connection & prompt
    assert connection | prompt == {f.name for f in dataclasses.fields(JudgeSettings)}
    for spec in judge.BACKENDS:
        assert set(spec.settings) <= connection | prompt, spec.name
    url = "http://127.0.0.1:9/v1"
    settings = JudgeSettings(
        backend="openai", model="m", base_url=url, concurrency=3, mode="generate"
    )
    assert settings.connection == judge.ConnectionSettings(
        backend="openai", model="m", base_url=url, concurrency=3
    )
    assert settings.prompt == judge.PromptSettings(template=settings.template, mode="generate")
    # The registry builds a backend from the backend's part alone.
    given = []
    spec = dataclasses.replace(settings.spec, load=lambda part, key: given.append(part))
    spec.build(settings, None)
    assert given == [settings.connection] and not hasattr(given[0], "template")
