"""What changed between two versions of a programme's definition, one entry per changed value, for the version
history an organiser reads ("模范机关 名额 5 → 6"). Categories, criteria and stages are named by their ids, not by
their places, so that reordering a list is not a change of every item in it."""
from __future__ import annotations

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
    old_cats, new_cats = _by(old.get("categories"), "category_id"), _by(new.get("categories"), "category_id")
    for cid in _keys(old_cats, new_cats):
        at = f"categories[{cid}]"
        before, after = old_cats.get(cid), new_cats.get(cid)
        if before is None or after is None:
            out.append({"path": at, "before": _category_summary(before), "after": _category_summary(after)})
            continue
        for key in CATEGORY_FIELDS:
            default = CATEGORY_DEFAULTS.get(key)
            _differ(out, f"{at}.{key}", before.get(key, default), after.get(key, default))
        old_w, new_w = before.get("weights") or {}, after.get("weights") or {}
        for comp in _keys(old_w, new_w):
            _differ(out, f"{at}.weights.{comp}", old_w.get(comp), new_w.get(comp))
        _criteria(out, at, before.get("criteria"), after.get("criteria"))
    old_st, new_st = _by(old.get("stages"), "stage"), _by(new.get("stages"), "stage")
    for stage in _keys(old_st, new_st):
        at = f"stages[{stage}]"
        before, after = old_st.get(stage), new_st.get(stage)
        if before is None or after is None:
            out.append({"path": at, "before": _window(before), "after": _window(after)})
            continue
        for key in ("opens_at", "closes_at"):
            _differ(out, f"{at}.{key}", before.get(key), after.get(key))
    return out


def _criteria(out: list[dict[str, Any]], at: str, old: Any, new: Any) -> None:
    old_cr, new_cr = _by(old, "criterion_id"), _by(new, "criterion_id")
    for crid in _keys(old_cr, new_cr):
        where = f"{at}.criteria[{crid}]"
        before, after = old_cr.get(crid), new_cr.get(crid)
        if before is None or after is None:
            out.append({"path": where, "before": _criterion_summary(before), "after": _criterion_summary(after)})
            continue
        for key in CRITERION_FIELDS:
            _differ(out, f"{where}.{key}", before.get(key), after.get(key))


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
