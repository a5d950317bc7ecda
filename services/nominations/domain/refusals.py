"""The refusals of the nominations rules and how they map to the shared errors a user sees."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import Closed, Conflict, DomainError, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    code: str | None = None  # the refusal's own code where it is raised alone (not among a programme's problems)
    params: dict[str, str | int | float] | None = None

    def text(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused; kind maps to an HTTP error class (invalid, closed, conflict, forbidden, not_found,
    gone)."""

    kind: str
    field: str
    message: str
    code: str | None = None  # the refusal's own code (e.g. stage_closed); the kind's shared code without one
    params: dict[str, str | int | float] | None = None  # what its words need (a limit, a status), never a person



ERRORS = {"invalid": Invalid, "closed": Closed, "conflict": Conflict, "forbidden": Forbidden, "not_found": NotFound}


def refuse(r: Refusal) -> DomainError:
    return ERRORS[r.kind](r.message, field=r.field, code=r.code, params=r.params)


def ensure(r: Refusal | None) -> None:
    """Raise the shared error of a refusal, if there is one."""
    if r is not None:
        raise refuse(r)


class ProgrammeInvalid(Invalid):
    """A programme definition with one or more problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].text(), field=problems[0].field)
        self.problems = problems

    def body(self) -> dict[str, Any]:
        b = super().body()
        b["error"]["problems"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return b


class Gone(DomainError):
    """What the request points at existed but is no more (an expired or revoked sign-in link)."""

    status, code = 410, "gone"


ERRORS["gone"] = Gone
