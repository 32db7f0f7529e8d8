"""The seed's rules for one record of each export format, as checks that note every broken
rule (field, message) for the line the caller is reading (`_validate`).

Answers are checked against the allowed answer lines the caller hands in (the judge's, for
the template and scale the file was exported with); this room spells none of its own.
"""

from __future__ import annotations

from typing import Any

from ._formats import INPUT_FIELDS

# (field, message) pairs a record check appends to; the reader adds the line number.
Found = list[tuple[str, str]]


def _text(record: dict[str, Any], key: str, name: str, problems: Found) -> Any:
    if key not in record:
        problems.append((name, "required field is missing"))
        return None
    value = record[key]
    if not isinstance(value, str):
        problems.append((name, f"must be text, got {type(value).__name__}"))
        return None
    return value


def _answer(
    record: dict[str, Any], key: str, name: str, allowed: set[str], problems: Found
) -> str | None:
    """The answer line at `key`; a standard completion may start with the line break that
    puts the answer on its own line."""
    value = _text(record, key, name, problems)
    if value is not None and value.lstrip("\n") not in allowed:
        problems.append((name, f"{value!r} is not one of {sorted(allowed)}"))
        return None
    return None if value is None else value.lstrip("\n")


def _messages(
    value: Any, name: str, roles: tuple[tuple[str, ...], ...], problems: Found
) -> list[dict[str, Any]] | None:
    """A list of {role, content} messages whose roles are one of `roles`, or None (and
    the problem noted)."""
    shapes = " or ".join(", ".join(r) for r in roles)
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        problems.append((name, f"must be a list of messages ({shapes})"))
        return None
    found = tuple(m.get("role") for m in value)
    if found not in roles:
        problems.append((name, f"roles must be {shapes}, got {', '.join(map(str, found))}"))
        return None
    for index, message in enumerate(value):
        _text(message, "content", f"{name}[{index}].content", problems)
    return value


# The judge sends its prompt as one user message; a system message before it is accepted,
# as files from other tools (and this tool's earlier exports) carry one.
_PROMPT_ROLES = (("user",), ("system", "user"))
_ANSWER_ROLES = (("assistant",),)


def _check_instruction_input(record: dict[str, Any], problems: Found) -> None:
    if _text(record, "instruction", "instruction", problems) == "":
        problems.append(("instruction", "is empty"))
    inputs = record.get("input")
    if not isinstance(inputs, dict):
        missing = "input" not in record
        problems.append(("input", "required object is missing" if missing else "must be an object"))
    else:
        for name in INPUT_FIELDS:
            _text(inputs, name, f"input.{name}", problems)


def check_instruction(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """The seed's row: the prompt, the fields as `input`, an answer line as `output`."""
    _check_instruction_input(record, problems)
    _answer(record, "output", "output", allowed, problems)


def check_chat(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """The judge's messages, then the assistant's answer line."""
    roles = tuple((*prompt, "assistant") for prompt in _PROMPT_ROLES)
    messages = _messages(record.get("messages"), "messages", roles, problems)
    if messages:
        last = f"messages[{len(messages) - 1}].content"
        _answer(messages[-1], "content", last, allowed, problems)


def _check_prompt(record: dict[str, Any], problems: Found) -> bool | None:
    """Check `prompt`, text or the judge's messages; whether it is messages (None when it
    is neither)."""
    prompt = record.get("prompt")
    if isinstance(prompt, list):
        return _messages(prompt, "prompt", _PROMPT_ROLES, problems) is not None
    if _text(record, "prompt", "prompt", problems) == "":
        problems.append(("prompt", "is empty"))
    return False if isinstance(prompt, str) else None


def _check_completion(
    record: dict[str, Any], key: str, conversational: bool | None, allowed: set[str], found: Found
) -> str | None:
    """The answer line a completion holds: text, or one assistant message when the prompt
    is messages (TRL reads both sides in the same form)."""
    value = record.get(key)
    if conversational and isinstance(value, list):
        messages = _messages(value, key, _ANSWER_ROLES, found)
        return (
            _answer(messages[0], "content", f"{key}[0].content", allowed, found)
            if messages
            else None
        )
    if conversational and key in record:
        found.append((key, "must be a list with one assistant message, as the prompt is messages"))
        return None
    return _answer(record, key, key, allowed, found)


def check_prompt_completion(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """A prompt and the answer that completes it, both text or both messages."""
    conversational = _check_prompt(record, problems)
    _check_completion(record, "completion", conversational, allowed, problems)


def check_preference(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """A prompt and two different answers, chosen and rejected."""
    conversational = _check_prompt(record, problems)
    chosen = _check_completion(record, "chosen", conversational, allowed, problems)
    rejected = _check_completion(record, "rejected", conversational, allowed, problems)
    if chosen is not None and chosen == rejected:
        problems.append(("rejected", f"is the same answer as chosen ({chosen!r})"))


def check_prometheus(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """The instruction row whose output is the reviewer's feedback, then an answer line
    (``Feedback: <note> [RESULT] 4``)."""
    _check_instruction_input(record, problems)
    output = _text(record, "output", "output", problems)
    if output is not None and not any(
        output.endswith(" " + answer) and output[: -len(answer) - 1].strip() for answer in allowed
    ):
        problems.append(("output", f"must be feedback, then one of {sorted(allowed)}"))


def check_pairwise(record: dict[str, Any], allowed: set[str], problems: Found) -> None:
    """A pairwise preference row: the second product's id beside the first's, the rest as a
    preference row with the pairwise answers (``[RESULT] A``, ``[RESULT] B``)."""
    if _text(record, "product_b", "product_b", problems) == record.get("product_a"):
        problems.append(("product_b", "is the same product as product_a"))
    check_preference(record, allowed, problems)
