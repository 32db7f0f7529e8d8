"""The judge: grades (query, product) pairs with a local GGUF model or a remote endpoint.

It knows nothing of storage: ``run_judge`` takes pairs (plain mappings) and settings, and
hands each ``Judgment`` to a callback; the caller records it. ``settings.provenance()`` is
what to record per run. A template's answer line (``answer_format``) is defined here once,
for judging and for the training data that teaches a judge.

    from judge import JudgeSettings, run_judge
    summary = run_judge(pairs, JudgeSettings(n_threads=2), on_result=print)

Backends (llama.cpp in process, OpenAI-compatible, Ollama, the baseline) are declared once
in ``BACKENDS`` (``backend_spec(name)``): local or remote, the modes they judge in, pairwise,
a model file, the settings they read, their help. The loop, the probe, the pages and the CLI
read those declarations; each backend implements ``JudgeBackend`` (``judge``, ``compare``).

The baseline judge is no LLM: lexical features and a logistic regression trained on the
labels, cross-fitted by query so that no pair is graded by a model that learned from it
(``cross_fit_baseline``); with a run's probabilities as ``extra`` columns
(``run_features``) the same model is a learned head over that run.

A template may ask for scores on another scale than the dataset's (Prometheus' 1-5): the
settings' ``score_map`` turns them into grades. ``{rubric}`` takes a dataset's score
rubric (``fill_rubric``) and ``{reference}`` a reference product the caller picks.

Batch files (``batch_request``, ``read_result_line``) carry the same requests and answers
to and from ``vllm run-batch`` and the OpenAI Batch API.

Pairwise judging (``run_pairwise``) asks which of two products better matches a query, in
both orders, from the next-token distribution over ``[RESULT] A|B|tie`` or by generation.
"""

from ._answers import (
    ANSWER_PREFIXES,
    AnswerFormat,
    answer_format,
    answer_prefix,
    feedback_answer,
)
from ._backend import JudgeBackend, OrderItem, PromptItem
from ._baseline import (
    HELD_OUT_SPLIT,
    BaselineModel,
    BaselineSettings,
    CrossFitted,
    cross_fit_baseline,
    query_folds,
    query_group,
)
from ._baseline_features import FEATURE_NAMES as BASELINE_FEATURES
from ._baseline_file import load_baseline, save_baseline
from ._baseline_stack import LOGP_FLOOR, run_features
from ._batch import (
    BATCH_URLS,
    BatchKey,
    BatchLineError,
    BatchResult,
    batch_custom_id,
    batch_request,
    check_batch_settings,
    judgment_from_result,
    read_batch_custom_id,
    read_result_line,
    verdict_from_result,
)
from ._exceptions import (
    EndpointDownError,
    JudgeBackendError,
    JudgeError,
    ModelFileError,
    SettingsError,
    TemplateError,
    TrainingDataError,
)
from ._fenced import fenced_once
from ._model import default_model_path, file_sha256
from ._pairwise import (
    PAIRWISE_MARKER,
    PairwiseJudgment,
    Winner,
    choice_probabilities,
    comparison_fields,
    debiased_preference,
    list_pairwise_templates,
    pairwise_answer,
    pairwise_answers,
    pairwise_completion,
    pairwise_prompt,
    parse_choice,
    run_pairwise,
    validate_pairwise_template,
)
from ._parsing import parse_grade
from ._payloads import chat_messages
from ._plan import ComparisonPlan, ReferencePlan, plan_comparisons, plan_references
from ._probe import EndpointChoice, choose_endpoint
from ._registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    Backend,
    BackendSpec,
    backend_spec,
    backends_reading,
    find_backend,
)
from ._remote_pairwise import choose_pairwise_settings
from ._results import Judgment, ParseStatus, Progress, Reply, RunSummary
from ._runner import load_backend, run_judge
from ._secrets import LogRedaction, Redactor, keep_out_of_logs
from ._settings import (
    ConnectionSettings,
    Endpoint,
    JudgeSettings,
    Mode,
    PromptSettings,
    base_url_fields,
    endpoint_label,
)
from ._templates import (
    DEFAULT_RUBRIC,
    DEFAULT_TEMPLATE,
    FIELD_FENCES,
    REFERENCE,
    RUBRIC,
    RUBRIC_SCORES,
    Rubric,
    TemplateInfo,
    field,
    fill_rubric,
    list_templates,
    load_template,
    logprob_prompt,
    placeholders,
    render_prompt,
    template_info,
    template_sha256,
    validate_template,
)

__all__ = [
    "ANSWER_PREFIXES",
    "BACKENDS",
    "BASELINE_FEATURES",
    "BATCH_URLS",
    "DEFAULT_BACKEND",
    "DEFAULT_RUBRIC",
    "DEFAULT_TEMPLATE",
    "FIELD_FENCES",
    "HELD_OUT_SPLIT",
    "LOGP_FLOOR",
    "PAIRWISE_MARKER",
    "REFERENCE",
    "RUBRIC",
    "RUBRIC_SCORES",
    "AnswerFormat",
    "Backend",
    "BackendSpec",
    "BaselineModel",
    "BaselineSettings",
    "BatchKey",
    "BatchLineError",
    "BatchResult",
    "ComparisonPlan",
    "ConnectionSettings",
    "CrossFitted",
    "Endpoint",
    "EndpointChoice",
    "EndpointDownError",
    "JudgeBackend",
    "JudgeBackendError",
    "JudgeError",
    "JudgeSettings",
    "Judgment",
    "LogRedaction",
    "Mode",
    "ModelFileError",
    "OrderItem",
    "PairwiseJudgment",
    "ParseStatus",
    "Progress",
    "PromptItem",
    "PromptSettings",
    "Redactor",
    "ReferencePlan",
    "Reply",
    "Rubric",
    "RunSummary",
    "SettingsError",
    "TemplateError",
    "TemplateInfo",
    "TrainingDataError",
    "Winner",
    "answer_format",
    "answer_prefix",
    "backend_spec",
    "backends_reading",
    "base_url_fields",
    "batch_custom_id",
    "batch_request",
    "chat_messages",
    "check_batch_settings",
    "choice_probabilities",
    "choose_endpoint",
    "choose_pairwise_settings",
    "comparison_fields",
    "cross_fit_baseline",
    "debiased_preference",
    "default_model_path",
    "endpoint_label",
    "feedback_answer",
    "fenced_once",
    "field",
    "file_sha256",
    "fill_rubric",
    "find_backend",
    "judgment_from_result",
    "keep_out_of_logs",
    "list_pairwise_templates",
    "list_templates",
    "load_backend",
    "load_baseline",
    "load_template",
    "logprob_prompt",
    "pairwise_answer",
    "pairwise_answers",
    "pairwise_completion",
    "pairwise_prompt",
    "parse_choice",
    "parse_grade",
    "placeholders",
    "plan_comparisons",
    "plan_references",
    "query_folds",
    "query_group",
    "read_batch_custom_id",
    "read_result_line",
    "render_prompt",
    "run_features",
    "run_judge",
    "run_pairwise",
    "save_baseline",
    "template_info",
    "template_sha256",
    "validate_pairwise_template",
    "validate_template",
    "verdict_from_result",
]
