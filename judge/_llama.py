"""In-process llama.cpp backend: logprob scoring with KV-cache prefix reuse, or grammar-bound
generation.

Relies on llama-cpp-python 0.3.x internals (pinned in requirements, guarded by
tests/test_judge_llama.py): ``Llama.eval`` keeps no logits unless ``logits_all`` is on, so
the last token's logits are read from the context right after ``eval``; ``eval`` drops the
KV cache past ``n_tokens``, so setting ``n_tokens`` to the common prefix length reuses the
cache for that prefix; and ``Llama()`` reads ``llama_model_default_params`` while loading,
which is how the weights are kept out of llama.cpp's repacked buffers (see
``_plain_weight_buffers``).

llama.cpp's own log goes to the ``judge.llama`` logger at DEBUG, never to the terminal (see
``_log_to_python``); a model file that is not a GGUF, or that llama.cpp cannot load, is a
ModelFileError that says why.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import llama_cpp.llama_cpp as llama_lib
import numpy as np
from llama_cpp import Llama, LlamaGrammar

if TYPE_CHECKING:
    from llama_cpp.llama_types import CreateCompletionResponse

    from ._pairwise import PairwiseJudgment

from ._answers import AnswerFormat
from ._backend import OrderItem, PromptItem
from ._exceptions import JudgeBackendError, ModelFileError, SettingsError
from ._grammar import answer_grammar
from ._model import check_gguf
from ._parsing import distribution_from_logits, parse_grade
from ._results import Judgment, Reply, ms_since
from ._settings import Backend, ConnectionSettings, JudgeSettings, Mode

__all__ = ["LlamaBackend", "reasoning_room"]

# llama.cpp computes batches of fewer than 8 tokens by other kernel paths, whose results
# differ (by up to 0.9 in a logit on the default model, AVX2 and AVX-512 builds alike) from
# the same tokens inside a larger batch; re-evaluating at least this many tokens keeps warm
# scores equal to cold ones. Prompts over n_batch (512) tokens are evaluated in chunks whose
# last one may be short, so for them equality is close, not guaranteed bit for bit.
_MIN_BATCH = 8


class LlamaBackend:
    """A GGUF model loaded in this process. One run at a time uses it (a lock guards it)."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        n_threads: int | None,
        n_gpu_layers: int,
        seed: int,
    ) -> None:
        check_gguf(model_path)
        self.model_path = Path(model_path).resolve()
        self.loaded_with = {
            "n_ctx": n_ctx,
            "n_threads": n_threads,
            "n_gpu_layers": n_gpu_layers,
            "seed": seed,
        }
        """The load parameters; a run whose settings differ needs its own backend."""
        with _plain_weight_buffers():
            _LOAD_ERRORS.clear()
            try:
                self.llm = Llama(
                    model_path=str(model_path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_gpu_layers=n_gpu_layers,
                    seed=seed,
                    verbose=False,
                )
            except ValueError as exc:  # llama-cpp-python's "Failed to load model ..."
                said = "; ".join(_LOAD_ERRORS) or str(exc)
                raise ModelFileError(
                    f"llama.cpp cannot load {model_path} ({said}): check that the file is a "
                    "whole GGUF of a model architecture this llama.cpp build knows, and that "
                    "n_ctx and n_gpu_layers fit this machine"
                ) from None
        self.evaluated_tokens = 0
        """Prompt tokens actually evaluated in logprob mode, not reused from the KV cache."""
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ConnectionSettings) -> LlamaBackend:
        """The settings' model, loaded with their context size, threads, offload and seed."""
        return cls(
            settings.model_path(),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_gpu_layers=settings.n_gpu_layers,
            seed=settings.seed,
        )

    def judge(
        self,
        items: Sequence[PromptItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[Judgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge items one at a time in the given order, so neighbours share the KV cache."""
        self.check_settings(settings)
        answer = settings.answer_format()
        with self.hold():
            if settings.mode is Mode.LOGPROBS:
                grade_ids = self.grade_token_ids(answer)
                judge_one: Callable[[PromptItem], Judgment] = functools.partial(
                    self._score, answer=answer, grade_ids=grade_ids
                )
            else:
                judge_one = functools.partial(
                    self._generate,
                    answer=answer,
                    grammar=self._grammar(answer, settings),
                    settings=settings,
                )
            for item in items:
                if cancel.is_set():
                    return
                started = time.perf_counter()
                try:
                    judgment = judge_one(item)
                except (JudgeBackendError, RuntimeError, ValueError) as exc:
                    # llama.cpp raises RuntimeError/ValueError on a failed decode; after one,
                    # the KV cache is not trusted for the next prompt.
                    self.llm.n_tokens = 0
                    failure = (
                        exc
                        if isinstance(exc, JudgeBackendError)
                        else JudgeBackendError(f"llama.cpp failed on pair {item.pair_id}: {exc}")
                    )
                    judgment = Judgment.failed(item.pair_id, failure, latency_ms=ms_since(started))
                emit(judgment)

    def compare(
        self,
        items: Sequence[OrderItem],
        settings: JudgeSettings,
        *,
        emit: Callable[[PairwiseJudgment], None],
        cancel: threading.Event,
    ) -> None:
        """Judge comparison orders one at a time in the given order (see ``_llama_pairwise``)."""
        from ._llama_pairwise import judge_orders  # it imports this module

        judge_orders(self, items, settings, emit=emit, cancel=cancel)

    def check_settings(self, settings: JudgeSettings) -> None:
        """Refuse settings this model was not loaded with: the run's recorded provenance
        would claim a context size, offload or seed the judgments were not made with."""
        local = settings.backend is Backend.LLAMA_CPP
        if not local or settings.model_path().resolve() != self.model_path:
            raise SettingsError(
                f"this backend holds {self.model_path} but the settings name "
                f"{settings.backend.value} {settings.model or 'default model'}: build the "
                "backend for these settings with load_backend(settings)"
            )
        differ = [
            f"{name} {getattr(settings, name)} (loaded with {value})"
            for name, value in self.loaded_with.items()
            if getattr(settings, name) != value
        ]
        if differ:
            raise SettingsError(
                f"this backend was loaded with other parameters than the settings name: "
                f"{', '.join(differ)}; build the backend for these settings with "
                "load_backend(settings)"
            )

    def close(self) -> None:
        """Free the model now rather than at garbage collection."""
        self.llm.close()

    def grade_token_ids(self, answer: AnswerFormat) -> list[int]:
        """The token id of each grade right after the answer prefix, in scale order.

        Raises when the tokenizer merges the prefix's trailing space with the digit (as
        " 2") or splits a digit, since then no single token stands for a grade.
        """
        return self.answer_token_ids(answer.prefix, [str(g) for g in answer.scale])

    def answer_token_ids(self, head: str, answers: Sequence[str]) -> list[int]:
        """The token id of each answer right after ``head`` on a line of its own: grade
        digits after ``SCORE: ``, or `` A`` / `` B`` / `` tie`` after ``[RESULT]``.

        Raises when the tokenizer merges the end of ``head`` with an answer or splits an
        answer, since then no single token stands for it.
        """
        start = self._tokenize("\n" + head, bos=False)
        ids = []
        for answer in answers:
            full = self._tokenize("\n" + head + answer, bos=False)
            if full[: len(start)] != start or len(full) != len(start) + 1:
                pieces = [self.llm.detokenize([t]).decode("utf-8", "replace") for t in full]
                raise JudgeBackendError(
                    f"this model's tokenizer splits '{head}{answer}' as {pieces}, so the "
                    "answer is not one token after the answer prefix: use mode='generate' "
                    "for this model"
                )
            ids.append(full[-1])
        return ids

    def next_token_logits(self, tokens: Sequence[int]) -> np.ndarray:
        """Logits of the token after ``tokens``, re-evaluating only what the cache lacks."""
        llm = self.llm
        reusable = max(0, min(llm.n_tokens, len(tokens) - _MIN_BATCH))
        cached = llm.input_ids[:reusable]
        mismatch = np.flatnonzero(cached != np.asarray(tokens[:reusable]))
        common = int(mismatch[0]) if mismatch.size else reusable
        llm.n_tokens = common
        llm.eval(tokens[common:])
        self.evaluated_tokens += len(tokens) - common
        return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))

    def _score(self, item: PromptItem, answer: AnswerFormat, grade_ids: list[int]) -> Judgment:
        started = time.perf_counter()
        tokens = self._tokenize(answer.after(item.prompt), bos=True)
        self._check_fits(item, len(tokens))
        logits = self.next_token_logits(tokens)
        dist = distribution_from_logits(logits[grade_ids].tolist(), answer.scale)
        # The most likely token over the whole vocabulary shows when the model would not
        # have answered with a grade at all.
        top_token = self.llm.detokenize([int(np.argmax(logits))]).decode("utf-8", "replace")
        return Judgment.scored(
            item.pair_id, dist, Reply(top_token, ms_since(started), len(tokens), 0)
        )

    def _generate(
        self, item: PromptItem, answer: AnswerFormat, grammar: LlamaGrammar, settings: JudgeSettings
    ) -> Judgment:
        started = time.perf_counter()
        n_prompt = len(self._tokenize(item.prompt, bos=True))
        self._check_fits(item, n_prompt + settings.max_tokens)
        out = self.llm.create_completion(
            item.prompt,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            seed=settings.seed,
            grammar=grammar,
        )
        # Without stream=True llama-cpp-python returns one response, never an iterator.
        out = cast("CreateCompletionResponse", out)
        text = out["choices"][0]["text"]
        usage = out["usage"]
        reply = Reply(text, ms_since(started), usage["prompt_tokens"], usage["completion_tokens"])
        return Judgment.parsed(item.pair_id, parse_grade(text, answer), reply)

    @staticmethod
    def _grammar(answer: AnswerFormat, settings: JudgeSettings) -> LlamaGrammar:
        budget = reasoning_room(f"{answer.prefix}N", len(answer.prefix) + 1, settings.max_tokens)
        return LlamaGrammar.from_string(answer_grammar(answer, budget))

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """The model for one run alone: a run holds it from its first prompt to its last."""
        with self._lock:
            yield

    def prompt_tokens(self, text: str) -> list[int]:
        """The tokens of a prompt as the model reads it (with the BOS token)."""
        return self._tokenize(text, bos=True)

    def _tokenize(self, text: str, *, bos: bool) -> list[int]:
        # special=True so a template may carry the model's chat markup, as create_completion
        # tokenizes it.
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    def _check_fits(self, item: PromptItem, n_tokens: int) -> None:
        # The loaded context decides, not settings.n_ctx: a reused backend keeps its own.
        n_ctx = self.llm.n_ctx()
        if n_tokens > n_ctx:
            raise JudgeBackendError(
                f"pair {item.pair_id} needs {n_tokens} tokens (prompt and answer) but n_ctx "
                f"is {n_ctx}: raise n_ctx or shorten the template or the product description"
            )


def reasoning_room(answer_line: str, answer_chars: int, max_tokens: int) -> int:
    """How many characters of reasoning a grammar may allow before an answer line of at most
    ``answer_chars`` characters, within ``max_tokens``.

    Under a grammar the model may spell even the answer line with one token per character,
    so room is counted in characters: the answer line, a separator, and reasoning in what is
    left (ASCII only, so never more tokens than characters).
    """
    if max_tokens < answer_chars:
        raise JudgeBackendError(
            f"max_tokens={max_tokens} may not leave room for the answer "
            f"'{answer_line}': raise it to at least {answer_chars}"
        )
    return max_tokens - answer_chars - 1


# llama.cpp writes its log through one process-wide callback. llama-cpp-python's own callback
# reads the levels in an older order than ggml.h has now (0.3.36), so with verbose=False it
# still prints llama.cpp's warnings to stderr, into the CLI's and the app's output. Routed
# here instead, every line goes to the "judge.llama" logger at DEBUG, and the errors of a
# load are kept to say why it failed.
_LOG = logging.getLogger("judge.llama")
_LOG_LEVEL_ERROR = 4  # ggml.h's ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5
_LOAD_ERRORS: collections.deque[str] = collections.deque(maxlen=4)


@llama_lib.llama_log_callback
def _log_to_python(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    line = text.decode("utf-8", errors="replace").strip()
    if line:
        _LOG.debug("%s", line)
        if level == _LOG_LEVEL_ERROR:
            _LOAD_ERRORS.append(line)


llama_lib.llama_log_set(_log_to_python, ctypes.c_void_p(0))

_LOAD_LOCK = threading.Lock()


@contextlib.contextmanager
def _plain_weight_buffers() -> Iterator[None]:
    """While a model loads, keep its CPU weights out of llama.cpp's "extra" buffer types.

    Those repack the weights for kernels (REPACK, AMX) whose results depend on how many tokens
    a batch has, at many sizes: a prompt scored after a reused prefix got grade probabilities
    up to 0.02 away from the same prompt scored cold. The AMX kernels also crash on Q4_K
    weights (ggml-org/llama.cpp#20824). Plain buffers make a pair's score independent of the
    pair before it, at no measured cost in speed on the default model. ``Llama()`` has no
    argument for ``use_extra_bufts``, so the default model parameters it starts from are
    swapped for the duration of the load.
    """
    default_params = llama_lib.llama_model_default_params

    def plain_params() -> llama_lib.llama_model_params:
        params = default_params()
        params.use_extra_bufts = False
        return params

    with _LOAD_LOCK:
        llama_lib.llama_model_default_params = plain_params
        try:
            yield
        finally:
            llama_lib.llama_model_default_params = default_params
