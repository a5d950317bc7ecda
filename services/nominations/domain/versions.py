"""What changed between two versions of a programme's definition, one entry per changed value, for the version
history an organiser reads ("模范机关 名额 5 → 6"). Categories, criteria and stages are named by their ids, not by
their places, so that reordering a list is not a change of every item in it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A category's values compared one by one (its criteria and weights are compared item by item below).
CATEGORY_FIELDS = ("name", "name_en", "nominee_kind", "board", "quota", "competitive_ratio", "unit_limit",
                   "peer_vote_round", "business_baseline_programme_id")
CATEGORY_DEFAULTS = {"peer_vote_round": "latest"}  # stored before the rule existed: the default
CRITERION_FIELDS = ("name", "max_points", "step")


def what_changed(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each changed value as {"path", "before", "after"}: the programme's name, year and stage_control; each
    category's values (categories[<category_id>].quota), weights per component (.weights.<component>) and criteria
    (.criteria[<criterion_id>], added or removed, or its name, max_points or step); each stage's window
    (stages[<stage>].opens_at). An item added has before None; one removed has after None."""
    out: list[dict[str, Any]] = []
    for key in ("name", "year"):
        _differ(out, key, old.get(key), new.get(key))
    _differ(out, "stage_control", old.get("stage_control", "organiser"), new.get("stage_control", "organiser"))
    _each(out, "categories", "category_id", old.get("categories"), new.get("categories"), _category_summary,
          _category_values)
    _each(out, "stages", "stage", old.get("stages"), new.get("stages"), _window,
          lambda out, at, before, after: _values(out, at, ("opens_at", "closes_at"), before, after))
    return out


Compare = Callable[[list[dict[str, Any]], str, dict[str, Any], dict[str, Any]], None]


def _each(out: list[dict[str, Any]], at: str, key: str, old: Any, new: Any,
          summary: Callable[[dict[str, Any] | None], Any], compare: Compare) -> None:
    """The items of two lists matched by `key`: one added or removed is one change (its summary), one in both is
    compared value by value."""
    old_by, new_by = _by(old, key), _by(new, key)
    for item in _keys(old_by, new_by):
        where = f"{at}[{item}]"
        before, after = old_by.get(item), new_by.get(item)
        if before is None or after is None:
            out.append({"path": where, "before": summary(before), "after": summary(after)})
        else:
            compare(out, where, before, after)


def _category_values(out: list[dict[str, Any]], at: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in CATEGORY_FIELDS:
        default = CATEGORY_DEFAULTS.get(key)
        _differ(out, f"{at}.{key}", before.get(key, default), after.get(key, default))
    old_w, new_w = before.get("weights") or {}, after.get("weights") or {}
    for comp in _keys(old_w, new_w):
        _differ(out, f"{at}.weights.{comp}", old_w.get(comp), new_w.get(comp))
    _each(out, f"{at}.criteria", "criterion_id", before.get("criteria"), after.get("criteria"), _criterion_summary,
          lambda out, at, before, after: _values(out, at, CRITERION_FIELDS, before, after))


def _values(out: list[dict[str, Any]], at: str, keys: tuple[str, ...], before: dict[str, Any],
            after: dict[str, Any]) -> None:
    for key in keys:
        _differ(out, f"{at}.{key}", before.get(key), after.get(key))


def _differ(out: list[dict[str, Any]], path: str, before: Any, after: Any) -> None:
    if before != after:
        out.append({"path": path, "before": before, "after": after})


def _by(items: Any, key: str) -> dict[Any, dict[str, Any]]:
    return {x.get(key): x for x in items or [] if isinstance(x, dict)}


def _keys(old: dict[Any, Any], new: dict[Any, Any]) -> list[Any]:
    """The old order first, then what the new one adds, in its order."""
    return list(old) + [k for k in new if k not in old]


def _category_summary(cat: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if cat is None else {"name": cat.get("name"), "quota": cat.get("quota")}


def _criterion_summary(cr: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if cr is None else {"name": cr.get("name"), "max_points": cr.get("max_points")}


def _window(st: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if st is None else {"opens_at": st.get("opens_at"), "closes_at": st.get("closes_at")}
