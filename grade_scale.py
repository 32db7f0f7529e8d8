"""The grade scale: the grades a dataset is labelled on or a judge grades on, each with a name.

Every room speaks of grades the same way: the store keeps each dataset's scale, the judge
grades on one, jobs check that the two agree, metrics take its grades as their `labels`. A
scale is the sequence of its grades, lowest first, so code that needs only the numbers takes
it as it would a tuple; its names are what a person reads.

    >>> WANDS_SCALE.describe()
    '0=Irrelevant, 1=Partial, 2=Exact'
    >>> list(Scale.parse("3=great,1=bad")), Scale.parse("3=great,1=bad").names
    ([1, 3], ('bad', 'great'))

This module imports nothing of ours, so every room may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

__all__ = ["WANDS_SCALE", "Scale", "ScaleError"]


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
