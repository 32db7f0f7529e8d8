"""The judge: grades (query, product) pairs with a local GGUF model or a remote endpoint.

It knows nothing of storage: ``run_judge`` takes pairs (plain mappings) and settings, and
hands each ``Judgment`` to a callback; the caller records it. ``settings.provenance()`` is
what to record per run. A template's answer line (``answer_format``) is defined here once,
for judging and for the training data that teaches a judge.

    from judge import JudgeSettings, run_judge
    summary = run_judge(pairs, JudgeSettings(n_threads=2), on_result=print)
"""

from ._answers import (
    ANSWER_PREFIXES,
    AnswerFormat,
    answer_format,
    answer_prefix,
    system_prompt,
)
from ._backend import JudgeBackend, PromptItem
from ._exceptions import (
    EndpointDownError,
    JudgeBackendError,
    JudgeError,
    ModelFileError,
    SettingsError,
    TemplateError,
)
from ._model import default_model_path, file_sha256
from ._parsing import parse_grade
from ._results import Judgment, ParseStatus, Progress, RunSummary
from ._runner import load_backend, run_judge
from ._settings import Backend, Endpoint, JudgeSettings, Mode
from ._templates import (
    DEFAULT_TEMPLATE,
    FIELD_FENCES,
    TemplateInfo,
    field,
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
    "AnswerFormat",
    "DEFAULT_TEMPLATE",
    "Backend",
    "Endpoint",
    "EndpointDownError",
    "FIELD_FENCES",
    "JudgeBackend",
    "JudgeBackendError",
    "JudgeError",
    "JudgeSettings",
    "Judgment",
    "Mode",
    "ModelFileError",
    "ParseStatus",
    "Progress",
    "PromptItem",
    "RunSummary",
    "SettingsError",
    "TemplateError",
    "TemplateInfo",
    "answer_format",
    "answer_prefix",
    "default_model_path",
    "field",
    "file_sha256",
    "list_templates",
    "load_backend",
    "load_template",
    "logprob_prompt",
    "parse_grade",
    "placeholders",
    "render_prompt",
    "run_judge",
    "system_prompt",
    "template_info",
    "template_sha256",
    "validate_template",
]
