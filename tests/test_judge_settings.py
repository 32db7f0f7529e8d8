"""Settings: coercion, errors that say what to do, provenance without secrets."""

from __future__ import annotations

import hashlib
import json

import pytest

from judge import Backend, JudgeSettings, Mode, SettingsError, TemplateError, load_template


def test_defaults_are_the_wands_logprob_judge_on_the_bundled_model():
    settings = JudgeSettings()
    assert settings.backend is Backend.LLAMA_CPP
    assert settings.mode is Mode.LOGPROBS
    assert settings.template == load_template("wands")
    assert settings.scale == (0, 1, 2)


def test_strings_become_enums_and_lists_tuples():
    settings = JudgeSettings(backend="ollama", model="m", mode="generate", scale=[1, 2, 3])
    assert settings.backend is Backend.OLLAMA and settings.mode is Mode.GENERATE
    assert settings.scale == (1, 2, 3)
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
        "api_key_env",
        "mode",
        "n_ctx",
        "n_threads",
        "n_gpu_layers",
        "concurrency",
        "timeout_s",
        "max_retries",
        "max_tokens",
        "temperature",
        "seed",
        "endpoint",
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
