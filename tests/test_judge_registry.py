"""The backend registry: every backend declares itself once, and nothing outside the registry
and a backend's own modules names a concrete backend; the CLI and the Runs page read it."""

from __future__ import annotations

import ast
import dataclasses
import re
import threading
from pathlib import Path

import pytest
from app_fixtures import DATASET, open_app, stored_run
from judge_fixtures import sample_pairs

import cli
import jobs
import judge
from judge import BACKENDS, Backend, JudgeSettings, PairwiseJudgment, Reply

ROOT = Path(__file__).resolve().parent.parent
# Benchmarks and tests measure and drive concrete backends on purpose; the rest is the app.
NOT_APP = {"tests", "bench", "docs", ".venv"}
REGISTRY = "judge/_registry.py"


Classes = dict[str, set[Backend]]


def _backend_classes() -> Classes:
    """Class name -> the backends it serves, for each class in a backend's modules that has
    the Protocol's methods: naming one (to build it, or to check isinstance) names them."""
    classes: Classes = {}
    for spec in BACKENDS:
        for module in spec.modules:
            for node in ast.walk(ast.parse((ROOT / module).read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
                    if {"judge", "compare", "close"} <= methods:
                        classes.setdefault(node.name, set()).add(spec.name)
    return classes


def concrete_backend_sites(source: str, classes: Classes) -> list[tuple[int, Backend]]:
    """(line, backend) for each place in `source` that names a concrete backend: a member of
    `Backend`, a string equal to a backend's name, or a backend's class."""
    members = {member.name: member for member in Backend}
    values = {member.value: member for member in Backend}
    sites = []
    for node in ast.walk(ast.parse(source)):
        named: set[Backend] = set()
        if isinstance(node, ast.Attribute) and node.attr in members:
            base = node.value
            if (isinstance(base, ast.Name) and base.id == "Backend") or (
                isinstance(base, ast.Attribute) and base.attr == "Backend"
            ):
                named = {members[node.attr]}
        elif isinstance(node, ast.Constant) and node.value in values:
            named = {values[node.value]}
        elif isinstance(node, ast.Name) and node.id in classes:
            named = classes[node.id]
        elif isinstance(node, ast.Attribute) and node.attr in classes:
            named = classes[node.attr]
        elif isinstance(node, ast.alias) and node.name in classes:
            named = classes[node.name]
        sites += [(getattr(node, "lineno", 0), backend) for backend in named]
    return sites


def _app_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not ({part for part in path.relative_to(ROOT).parts} & NOT_APP)
    ]


def test_the_site_finder_sees_each_way_of_naming_a_backend():
    source = (
        "from judge._llama import LlamaBackend\n"
        "if settings.backend is judge.Backend.LLAMA_CPP:\n"
        "    pass\n"
        "if run.backend == 'baseline' or isinstance(b, _remote.RemoteBackend):\n"
        "    x = Backend.OLLAMA\n"
        "print('openai is a backend', judge.Backend)\n"
    )
    sites = concrete_backend_sites(source, _backend_classes())
    assert sorted(sites) == sorted(
        [
            (1, Backend.LLAMA_CPP),
            (2, Backend.LLAMA_CPP),
            (4, Backend.OPENAI),  # RemoteBackend serves openai and ollama: it names both
            (4, Backend.OLLAMA),
            (4, Backend.BASELINE),
            (5, Backend.OLLAMA),
        ]
    )


def test_only_the_registry_and_a_backends_own_modules_name_it():
    classes = _backend_classes()
    owners = {spec.name: spec.modules for spec in BACKENDS}
    found = []
    files = _app_files()
    for path in files:
        module = path.relative_to(ROOT).as_posix()
        if module == REGISTRY:
            continue
        for line, backend in concrete_backend_sites(path.read_text(encoding="utf-8"), classes):
            if module not in owners[backend]:
                found.append(f"{module}:{line} names {backend}")
    assert found == [], "ask judge.backend_spec(...) instead:\n" + "\n".join(found)
    assert len(files) > 50 and ROOT / REGISTRY in files  # the walk saw the app


def test_every_backend_declares_help_capabilities_and_its_modules():
    fields = {f.name for f in dataclasses.fields(JudgeSettings)}
    classes = _backend_classes()
    assert [spec.name for spec in BACKENDS] == list(Backend)
    assert judge.DEFAULT_BACKEND in Backend
    for spec in BACKENDS:
        assert len(spec.help) > 40, spec.name
        assert set(spec.settings) <= fields, (spec.name, set(spec.settings) - fields)
        assert all((ROOT / module).is_file() for module in spec.modules), spec.name
        assert judge.backend_spec(spec.name.value) is spec
        if spec.reads_prompts:
            assert spec.load is not None and (spec.logprobs or spec.generation), spec.name
            assert {"model", "mode", "template"} <= set(spec.settings), spec.name
            # It implements the Protocol in one of its own modules.
            assert any(spec.name in served for served in classes.values()), spec.name
        else:
            assert spec.load is None and not (spec.logprobs or spec.generation or spec.pairwise)
        assert not (spec.remote and spec.model_file), spec.name
        assert spec.remote == (spec.default_base_url is not None), spec.name


def test_a_backend_that_reads_no_prompt_has_no_settings_to_judge_with():
    with pytest.raises(judge.SettingsError, match="backend baseline reads no prompt"):
        JudgeSettings(backend="baseline")
    with pytest.raises(judge.SettingsError, match="'vllm' is not one of llama_cpp, openai"):
        judge.backend_spec("vllm")
    assert judge.find_backend("imported-from-elsewhere") is None


def test_settings_defaults_and_the_probe_follow_the_declarations():
    for spec in BACKENDS:
        if not spec.reads_prompts:
            continue
        settings = JudgeSettings(backend=spec.name, model="m.gguf" if spec.model_file else "m")
        assert settings.base_url == spec.default_base_url
        if spec.model_file:
            assert settings.model_path() == Path("m.gguf")
        else:
            with pytest.raises(judge.SettingsError, match="has no local model file"):
                settings.model_path()
        if not spec.remote:
            with pytest.raises(judge.SettingsError, match="the endpoint probe is for remote"):
                judge.choose_endpoint(settings, "prompt")


class _ThirdPartyBackend:
    """A backend the judge has never heard of, implementing the Protocol only."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.asked: list[tuple[int, int]] = []

    def judge(self, items, settings, *, emit, cancel) -> None:
        raise AssertionError("a pairwise run asks compare, not judge")

    def compare(self, items, settings, *, emit, cancel: threading.Event) -> None:
        answers = judge.pairwise_answers(settings.template)
        for key, prompt in items:
            assert all(name in prompt for name in self.names)
            self.asked.append(key)
            probs = {a: 1.0 if a == "A" else 0.0 for a in answers}
            emit(PairwiseJudgment.chosen(key, probs, Reply("A", 1.0)))

    def close(self) -> None:
        raise AssertionError("the caller owns a backend it hands in")


def test_pairwise_judging_goes_through_the_protocol():
    pairs = sample_pairs(limit=2)
    backend = _ThirdPartyBackend(names=[p["product_name"] for p in pairs])
    seen: list[PairwiseJudgment] = []
    template = judge.list_pairwise_templates()[0].text
    settings = JudgeSettings(backend="openai", model="m", template=template)
    summary = judge.run_pairwise(
        [(pairs[0], pairs[1])], settings, on_result=seen.append, backend=backend
    )
    ids = [int(p["pair_id"]) for p in pairs]
    assert sorted(backend.asked) == sorted([(ids[0], ids[1]), (ids[1], ids[0])])
    assert summary.judged == 2 and [j.winner for j in seen] == ["first", "first"]


def test_cli_backend_choices_and_flag_help_come_from_the_registry(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "10000")  # no line breaks inside a word (llama-cpp-python)
    with pytest.raises(SystemExit):
        cli.main(["judge", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "{" + ",".join(spec.name.value for spec in BACKENDS) + "}" in shown
    for spec in BACKENDS:
        assert f"{spec.name}: {' '.join(spec.help.split())}." in shown
    ctx = re.search(r"--ctx CTX (.*?)--threads", shown)
    assert ctx is not None
    assert ctx.group(1).strip().endswith(f"[{', '.join(judge.backends_reading('n_ctx'))}]")


@pytest.mark.parametrize("pairwise", [False, True])
def test_the_runs_page_offers_the_declared_backends_and_their_settings(store, pairwise):
    at = open_app("runs", query={"runs-tab": "Start a run"})
    if pairwise:
        at.segmented_control(key="run-kind").set_value("Pairwise").run()
    offered = [spec for spec in BACKENDS if spec.reads_prompts and (spec.pairwise or not pairwise)]
    control = at.segmented_control(key="run-backend")
    assert control.options == [spec.name.value for spec in offered]
    assert control.value == judge.DEFAULT_BACKEND.value
    keys = {
        "n_gpu_layers": "run-gpu-layers",
        "base_url": "run-base-url",
        "concurrency": "run-concurrency",
        "timeout_s": "run-timeout",
        "max_retries": "run-retries",
    }
    for spec in offered:
        at.segmented_control(key="run-backend").set_value(spec.name.value).run()
        assert not at.exception
        widgets = {w.key for w in [*at.number_input, *at.text_input, *at.text_area]}
        for setting, key in keys.items():
            assert (key in widgets) == (setting in spec.settings), (spec.name, key)
        assert ("api-key" in widgets) == spec.remote
        assert ("run-model" in widgets) == spec.model_file


def test_hole_filling_asks_the_registry_which_runs_learn_from_the_labels(store):
    db, judged = store
    baseline = jobs.baseline_run(db, DATASET)
    imported = stored_run(db, backend="judgement-ai", status="imported")
    assert jobs.why_holes_cannot_be_judged(db, baseline) is None  # trained again
    assert jobs.why_holes_cannot_be_judged(db, judged) is None  # judges the holes itself
    why = jobs.why_holes_cannot_be_judged(db, imported)
    assert why is not None and "was imported from judgement-ai" in why
