"""The grade scale: the grades a dataset is labelled on or a judge grades on, each with a name.

Every room speaks of grades the same way: the store keeps each dataset's scale, the judge
grades on one, jobs check that the two agree, metrics take its grades as their `labels`. A
scale is the sequence of its grades, lowest first, so code that needs only the numbers takes
it as it would a tuple; its names are what a person reads.

    >>> WANDS_SCALE.describe()
    '0=Irrelevant, 1=Partial, 2=Exact'
    >>> WANDS_SCALE.counts({0: 22, 1: 29, 2: 11})
    'Irrelevant 22, Partial 29, Exact 11'
    >>> list(Scale.parse("3=great,1=bad")), Scale.parse("3=great,1=bad").names
    ([1, 3], ('bad', 'great'))

This module imports nothing of ours, so every room may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

__all__ = ["WANDS_SCALE", "Scale", "ScaleError", "ScoreMap", "parse_grade_map"]


class ScaleError(ValueError):
    """A scale that cannot be: no grade, a grade twice or out of order, a grade without a
    name, or text that does not read as one."""


@dataclass(frozen=True)
class Scale(Sequence[int]):
    """Distinct grades in ascending order, and one name per grade."""

    grades: tuple[int, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "grades", tuple(int(g) for g in self.grades))
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        if not self.grades or len(self.grades) != len(self.names):
            raise ScaleError("a scale needs at least one grade and one name per grade")
        if list(self.grades) != sorted(set(self.grades)):
            raise ScaleError(
                f"scale grades must be distinct and ascending, got {list(self.grades)}"
            )

    @classmethod
    def of(cls, grades: Iterable[int], names: Iterable[str] | None = None) -> Scale:
        """The scale of `grades`, named by `names` or else by their numbers."""
        grades = tuple(grades)
        return cls(grades, tuple(names) if names is not None else tuple(map(str, grades)))

    @classmethod
    def parse(cls, text: str) -> Scale:
        """'0=Irrelevant,1=Partial,2=Exact' (or just '0,1,2,3', named by number), in any
        order."""
        pairs = [part.strip().partition("=") for part in text.split(",") if part.strip()]
        try:
            named = sorted((int(g), n.strip() or str(int(g))) for g, _, n in pairs)
        except ValueError:
            raise ScaleError(
                f"a scale is grade=name pairs like 0=Irrelevant,1=Partial; got {text!r}"
            ) from None
        return cls(tuple(g for g, _ in named), tuple(n for _, n in named))

    @classmethod
    def numeric(cls, low: int, high: int) -> Scale:
        """Every integer from `low` to `high`, named by its number."""
        return cls.of(range(low, high + 1))

    def name_of(self, grade: int) -> str:
        """The name of `grade`, or its number when it is not on the scale."""
        return dict(zip(self.grades, self.names)).get(grade, str(grade))

    def describe(self) -> str:
        """'0=Irrelevant, 1=Partial, 2=Exact'."""
        return ", ".join(f"{g}={n}" for g, n in zip(self.grades, self.names))

    def counts(self, per_grade: Mapping[int, int]) -> str:
        """'Irrelevant 22, Partial 29, Exact 11': a count per grade as a person reads it, by
        name and in the scale's order (grades off the scale last, by number). The one way
        every page and command shows how many pairs each grade has."""
        order = [*self.grades, *sorted(g for g in per_grade if g not in self.grades)]
        return ", ".join(f"{self.name_of(g)} {per_grade[g]:,}" for g in order if g in per_grade)

    def __len__(self) -> int:
        return len(self.grades)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[int, ...]: ...

    def __getitem__(self, index: int | slice) -> int | tuple[int, ...]:
        return self.grades[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self.grades)

    def __contains__(self, grade: object) -> bool:
        return grade in self.grades


WANDS_SCALE = Scale((0, 1, 2), ("Irrelevant", "Partial", "Exact"))
"""The default scale, as WANDS labels: 0 Irrelevant, 1 Partial, 2 Exact."""


_MAP_EXAMPLE = "e.g. 0=0,1=1,2=1,3=2"


def parse_grade_map(text: str) -> dict[int, int]:
    """'0=0,1=1,2=1,3=2' as score -> grade: the syntax of judgement-ai's --scale-map and of
    the judge's --score-map."""
    mapping: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        score, sep, grade = part.partition("=")
        try:
            key, value = int(score), int(grade)
        except ValueError:
            sep = ""
        if not sep:
            raise ScaleError(f"bad scale map entry {part!r}: use score=grade pairs, {_MAP_EXAMPLE}")
        if key in mapping:
            # A second entry would silently win: which one was meant is the user's call.
            raise ScaleError(
                f"the scale map gives score {key} twice ({key}={mapping[key]} and {part}): "
                "give each score once"
            )
        mapping[key] = value
    if not mapping:
        raise ScaleError(f"the scale map is empty: give score=grade pairs, {_MAP_EXAMPLE}")
    return mapping


@dataclass(frozen=True)
class ScoreMap:
    """How a judge's scores (Prometheus' 1-5) become the grades of a dataset's scale.

    `scores` are the judge's scores, ascending; `grades` the grade each one becomes. The
    default (`ScoreMap.default`) cuts the scores into as many runs as the scale has grades,
    as evenly as integer division allows: score number i (from 0) of n goes to grade number
    floor(i * k / n) of k. So 1-5 onto 0-2 is 1,2->0; 3,4->1; 5->2.

    A distribution over the scores becomes one over the grades by summing (`probs`); a
    grade goes back to a score (`score_of`, for training records) as the middle of the
    scores that map to it, the lower one of two middles: 0->1, 1->3, 2->5 above.

    >>> m = ScoreMap.default((1, 2, 3, 4, 5), (0, 1, 2))
    >>> m.text(), m.grade_of(4), m.probs([0.1, 0.2, 0.3, 0.3, 0.1]), m.score_of(1)
    ('1=0,2=0,3=1,4=1,5=2', 1, [0.30000000000000004, 0.6, 0.1], 3)
    """

    scores: tuple[int, ...]
    grades: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "scores", tuple(int(s) for s in self.scores))
        object.__setattr__(self, "grades", tuple(int(g) for g in self.grades))
        if not self.scores or len(self.scores) != len(self.grades):
            raise ScaleError("a score map needs at least one score and one grade per score")
        if list(self.scores) != sorted(set(self.scores)):
            raise ScaleError(f"score map scores must be distinct, got {list(self.scores)}")

    @classmethod
    def of(cls, mapping: Mapping[int, int]) -> ScoreMap:
        """The map of score -> grade pairs."""
        ordered = sorted(mapping.items())
        return cls(tuple(s for s, _ in ordered), tuple(g for _, g in ordered))

    @classmethod
    def parse(cls, text: str) -> ScoreMap:
        """'1=0,2=0,3=1,4=1,5=2' (see `parse_grade_map`)."""
        return cls.of(parse_grade_map(text))

    @classmethod
    def default(cls, scores: Sequence[int], grades: Sequence[int]) -> ScoreMap:
        """The stated rule of the class docstring."""
        n, k = len(scores), len(grades)
        return cls(tuple(scores), tuple(grades[i * k // n] for i in range(n)))

    def check(self, scores: Sequence[int], grades: Sequence[int]) -> None:
        """Raise ScaleError unless the map sends every one of `scores`, and only those, to
        grades of `grades`."""
        if tuple(scores) != self.scores:
            raise ScaleError(
                f"the score map {self.text()} maps the scores {list(self.scores)}, but the "
                f"judge answers {list(scores)}: give one grade per score"
            )
        off = sorted({g for g in self.grades if g not in grades})
        if off:
            raise ScaleError(
                f"the score map {self.text()} sends scores to {', '.join(map(str, off))}, "
                f"not on the dataset's scale ({', '.join(map(str, grades))})"
            )

    def grade_of(self, score: int) -> int:
        """The grade `score` becomes."""
        return self.grades[self.scores.index(score)]

    def probs(
        self, score_probs: Sequence[float], grades: Sequence[int] | None = None
    ) -> list[float]:
        """P(grade) as the sum of P(score) over the scores that map to it, in the order of
        `grades` (default: the grades the map reaches, ascending)."""
        order = sorted(set(self.grades)) if grades is None else list(grades)
        total = dict.fromkeys(order, 0.0)
        for grade, p in zip(self.grades, score_probs, strict=True):
            total[grade] += p
        return [total[g] for g in order]

    def score_of(self, grade: int) -> int:
        """The score that stands for `grade`: the middle of those mapping to it (the lower
        of two middles)."""
        mine = [s for s, g in zip(self.scores, self.grades) if g == grade]
        if not mine:
            raise ScaleError(f"no score maps to grade {grade} in the score map {self.text()}")
        return mine[(len(mine) - 1) // 2]

    def text(self) -> str:
        """'1=0,2=0,3=1,4=1,5=2': the form `parse` reads."""
        return ",".join(f"{s}={g}" for s, g in zip(self.scores, self.grades))

    def describe(self, scale: Scale | None = None) -> str:
        """'1,2 -> 0 Irrelevant; 3,4 -> 1 Partial; 5 -> 2 Exact' (names from `scale`)."""
        parts = []
        for grade in sorted(set(self.grades)):
            scores = ",".join(str(s) for s, g in zip(self.scores, self.grades) if g == grade)
            name = scale.name_of(grade) if scale is not None else str(grade)
            name = "" if name == str(grade) else f" {name}"
            parts.append(f"{scores} -> {grade}{name}")
        return "; ".join(parts)
