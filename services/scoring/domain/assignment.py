"""Assignment of panel judges to nominees: at least K each, even loads, never a conflicting judge."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class AssignmentPlan:
    new: list[tuple[str, str]]  # (nomination_id, judge_id)
    loads: dict[str, int]
    shortfalls: dict[str, int]  # nomination_id -> judges still missing


def auto_assign(nomination_ids: Sequence[str], judge_ids: Sequence[str], existing: Mapping[str, set[str]],
                excluded: Mapping[str, set[str]], k: int) -> AssignmentPlan:
    """Give every nominee at least k judges, least-loaded judges first, never a judge who is excluded (conflict or
    recused). Existing assignments are kept. The most constrained nominees are served first."""
    loads = {j: 0 for j in judge_ids}
    for judges in existing.values():
        for j in judges:
            if j in loads:
                loads[j] += 1
    new: list[tuple[str, str]] = []
    shortfalls: dict[str, int] = {}

    def eligible(nom: str) -> list[str]:
        return [j for j in judge_ids if j not in existing.get(nom, set()) and j not in excluded.get(nom, set())]

    order = sorted(nomination_ids, key=lambda n: (len(eligible(n)), n))
    for nom in order:
        have = len(existing.get(nom, set()) & set(judge_ids))
        need = k - have
        if need <= 0:
            continue
        candidates = sorted(eligible(nom), key=lambda j: (loads[j], j))
        chosen = candidates[:need]
        for j in chosen:
            loads[j] += 1
            new.append((nom, j))
        if len(chosen) < need:
            shortfalls[nom] = need - len(chosen)
    _rebalance(new, loads, existing, excluded)
    return AssignmentPlan(new, loads, shortfalls)


def _rebalance(new: list[tuple[str, str]], loads: dict[str, int], existing: Mapping[str, set[str]],
               excluded: Mapping[str, set[str]]) -> None:
    """Move new assignments from the busiest judges to the idlest ones while that narrows the spread (conflicts
    permitting). Every move lowers the sum of squared loads, so this ends."""
    moved = True
    while moved:
        moved = False
        taken = set(new)
        for heavy in sorted(loads, key=lambda j: (-loads[j], j)):
            for light in sorted(loads, key=lambda j: (loads[j], j)):
                if loads[heavy] - loads[light] <= 1:
                    break
                for i, (nom, j) in enumerate(new):
                    if j != heavy or light in excluded.get(nom, set()) or light in existing.get(nom, set()) \
                            or (nom, light) in taken:
                        continue
                    new[i] = (nom, light)
                    loads[heavy] -= 1
                    loads[light] += 1
                    moved = True
                    break
                if moved:
                    break
            if moved:
                break


def suggest_replacement(judge_ids: Sequence[str], assigned: set[str], excluded: set[str],
                        loads: Mapping[str, int]) -> str | None:
    """The least-loaded panel judge who is neither assigned to nor excluded from the nominee."""
    free = [j for j in judge_ids if j not in assigned and j not in excluded]
    return min(free, key=lambda j: (loads.get(j, 0), j)) if free else None
