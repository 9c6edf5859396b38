"""What a refused write reports: every problem with the field it is about and a stable code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str


class MutationError(ValueError):
    """A write was refused; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    @property
    def code(self) -> str:
        return self.problems[0].code

    @classmethod
    def one(cls, field: str, code: str, message: str) -> MutationError:
        return cls([Problem(field, code, message)])
