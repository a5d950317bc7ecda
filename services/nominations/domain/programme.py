"""Programme definition: validation with every problem named by its field, stage dates, and versioning."""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shared import stages as shared_stages
from shared.contracts.nominations import CategoryInfo, ProgrammeDefined, StageChanged, StageWindow
from shared.errors import Conflict, NotFound

from .refusals import Problem, Refusal

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPONENTS = ("basic", "key_tasks", "business", "report", "peer_vote")
COMPONENT_LABELS = {"basic": "基础", "key_tasks": "重点", "business": "业务", "report": "述职", "peer_vote": "民主测评"}
NOMINEE_KINDS = ("organ", "branch", "site", "team", "member")
UNIT_KINDS = ("organ", "department", "branch", "site", "team")
BOARDS = ("model_organ", "red_flag_branch", "demonstration_site", "service_team", "excellent_member", "pacesetter",
          "other")
STAGES = ("nomination", "review", "voting", "judging", "publicity")
STAGE_LABELS = {"nomination": "申报", "review": "资格审查", "voting": "民主测评", "judging": "评审打分",
                "publicity": "公示"}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
STAGE_CONTROLS = shared_stages.CONTROLS  # by the organiser (StageChanged) or by the windows' dates
PEER_VOTE_ROUNDS = ("latest", "approval", "appraisal")  # which of a category's rounds feeds its peer vote


def to_utc(value: Any) -> datetime:
    """A stage date: an ISO string or datetime; naive values and bare dates are Asia/Shanghai local time."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError("must be a date or date-time such as 2026-03-01T09:00")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def normalise_programme(raw: Any, templates: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[Problem]]:
    """Check a programme definition; returns (normalised programme, problems). Problems name the field."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return {}, [Problem("", "the programme must be a mapping with name, year, categories and stages")]
    out: dict[str, Any] = {}
    pid = raw.get("programme_id")
    if pid is not None and (not isinstance(pid, str) or not ID_RE.match(pid)):
        problems.append(Problem("programme_id", "must be 1-64 letters, digits, '_', '-', '.' or ':'"))
    out["programme_id"] = pid
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("name", "is required"))
    out["name"] = name.strip() if isinstance(name, str) else ""
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        problems.append(Problem("year", "must be a year between 2000 and 2100"))
    out["year"] = year
    cats = raw.get("categories")
    out["categories"] = []
    if not isinstance(cats, list) or not cats:
        problems.append(Problem("categories", "at least one category is required"))
        cats = []
    seen_ids: set[str | None] = set()
    for i, cat in enumerate(cats):
        c, cp = _category(cat, f"categories[{i}]", templates)
        problems += cp
        if c.get("category_id") in seen_ids:
            problems.append(Problem(f"categories[{i}].category_id", f"duplicate category id {c['category_id']}"))
        seen_ids.add(c.get("category_id"))
        out["categories"].append(c)
    out["stages"], sp = _stages(raw.get("stages", []))
    problems += sp
    control = raw.get("stage_control", "organiser")
    if control not in STAGE_CONTROLS:
        problems.append(Problem("stage_control", "must be organiser (the organiser opens and closes the stages) or "
                                                 "dates (the stages open and close by their dates, Asia/Shanghai)"))
    out["stage_control"] = control
    return out, problems


def _category(cat: Any, at: str, templates: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[Problem]]:
    p: list[Problem] = []
    if not isinstance(cat, dict):
        return {}, [Problem(at, "must be a mapping")]
    c: dict[str, Any] = {}
    cid = cat.get("category_id")
    if not isinstance(cid, str) or not ID_RE.match(cid):
        p.append(Problem(f"{at}.category_id", "is required: 1-64 letters, digits, '_', '-', '.' or ':'"))
    c["category_id"] = cid
    name = cat.get("name")
    if not isinstance(name, str) or not name.strip():
        p.append(Problem(f"{at}.name", "is required"))
    c["name"] = name.strip() if isinstance(name, str) else ""
    c["name_en"] = str(cat.get("name_en") or "")
    kind = cat.get("nominee_kind")
    if kind not in NOMINEE_KINDS:
        p.append(Problem(f"{at}.nominee_kind", f"must be one of {', '.join(NOMINEE_KINDS)}"))
    c["nominee_kind"] = kind
    board = cat.get("board", "other")
    if board not in BOARDS:
        p.append(Problem(f"{at}.board", f"must be one of {', '.join(BOARDS)}"))
    c["board"] = board
    quota = cat.get("quota")
    if not isinstance(quota, int) or isinstance(quota, bool) or quota <= 0:
        p.append(Problem(f"{at}.quota", "must be a positive whole number (名额)"))
    c["quota"] = quota
    ratio = _number(cat.get("competitive_ratio", 1.0))
    if ratio is None or ratio < 1.0 or ratio > 5.0:
        p.append(Problem(f"{at}.competitive_ratio", "must be a number from 1.0 to 5.0 (差额比例)"))
    c["competitive_ratio"] = ratio
    limit = cat.get("unit_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0):
        p.append(Problem(f"{at}.unit_limit", "must be a positive whole number or absent"))
    c["unit_limit"] = limit
    c["criteria"] = _criteria(cat, at, templates, p)
    c["weights"] = _weights(cat, at, p)
    c["peer_vote_round"], c["business_baseline_programme_id"] = _round_rules(cat, at, p)
    return c, p


def _round_rules(cat: dict[str, Any], at: str, p: list[Problem]) -> tuple[Any, Any]:
    """Which round feeds the peer vote, and the earlier programme the business progress (进位) is measured
    against; whether that programme exists and is earlier is checked with the store (baseline_problems)."""
    rule = cat.get("peer_vote_round", "latest")
    if rule not in PEER_VOTE_ROUNDS:
        p.append(Problem(f"{at}.peer_vote_round",
                         "must be latest (every round feeds the peer vote), approval or appraisal (only rounds of "
                         "that ballot type feed it)"))
    baseline = cat.get("business_baseline_programme_id")
    if baseline is not None and (not isinstance(baseline, str) or not ID_RE.match(baseline)):
        p.append(Problem(f"{at}.business_baseline_programme_id",
                         "must be the id of an earlier programme: 1-64 letters, digits, '_', '-', '.' or ':'"))
    return rule, baseline


def baseline_ids(programme: dict[str, Any]) -> set[str]:
    """The earlier programmes the categories' business progress (业务工作进位) is measured against."""
    return {c["business_baseline_programme_id"] for c in programme["categories"]
            if isinstance(c.get("business_baseline_programme_id"), str)}


def baseline_problems(programme: dict[str, Any], pid: str, known: dict[str, dict[str, Any]]) -> list[Problem]:
    """Each category's business baseline must be another programme of this installation, of an earlier year;
    `known` holds the baselines that exist (id -> programme)."""
    problems = []
    for i, c in enumerate(programme["categories"]):
        base = c.get("business_baseline_programme_id")
        if not isinstance(base, str):
            continue
        field = f"categories[{i}].business_baseline_programme_id"
        if base == pid:
            problems.append(Problem(field, "must name another programme (an earlier year), not this one"))
        elif base not in known:
            problems.append(Problem(field, f"programme {base} does not exist in this installation"))
        elif not isinstance(programme.get("year"), int) or known[base].get("year", 0) >= programme["year"]:
            problems.append(Problem(field, f"programme {base} is of {known[base].get('year')}; the baseline must "
                                           f"be of a year before {programme.get('year')}"))
    return problems


def _criteria(cat: dict[str, Any], at: str, templates: dict[str, dict[str, Any]],
              p: list[Problem]) -> list[dict[str, Any]]:
    """The category's criteria, given or from its template; problems are appended to p."""
    criteria = cat.get("criteria")
    template = cat.get("criteria_template")
    if template is not None:
        if template not in templates:
            p.append(Problem(f"{at}.criteria_template",
                             f"unknown criteria template {template!r}; known: {', '.join(sorted(templates))}"))
            criteria = []
        elif criteria is None:
            criteria = templates[template]["criteria"]
    if not isinstance(criteria, list) or not criteria:
        if template is None:
            p.append(Problem(f"{at}.criteria", "at least one criterion (or a criteria_template) is required"))
        criteria = []
    out: list[dict[str, Any]] = []
    seen: set[str | None] = set()
    for j, cr in enumerate(criteria):
        where = f"{at}.criteria[{j}]"
        if not isinstance(cr, dict):
            p.append(Problem(where, "must be a mapping with criterion_id, name, max_points"))
            continue
        crid = cr.get("criterion_id")
        if not isinstance(crid, str) or not ID_RE.match(crid):
            p.append(Problem(f"{where}.criterion_id", "is required"))
        elif crid in seen:
            p.append(Problem(f"{where}.criterion_id", f"duplicate criterion id {crid}"))
        seen.add(crid)
        if not isinstance(cr.get("name"), str) or not cr["name"].strip():
            p.append(Problem(f"{where}.name", "is required"))
        mx = _number(cr.get("max_points"))
        if mx is None or mx <= 0 or mx > 1000:
            p.append(Problem(f"{where}.max_points", "must be a positive number of points (at most 1000)"))
        step = _number(cr.get("step", 0.5))
        if step is None or step <= 0:
            p.append(Problem(f"{where}.step", "must be a positive number"))
        out.append({"criterion_id": crid, "name": str(cr.get("name", "")).strip(), "max_points": mx, "step": step})
    return out


def _weights(cat: dict[str, Any], at: str, p: list[Problem]) -> dict[str, float]:
    """A weight per component, summing to 1; problems are appended to p."""
    weights = cat.get("weights")
    if not isinstance(weights, dict):
        p.append(Problem(f"{at}.weights", f"a weight for each of {', '.join(COMPONENTS)} is required"))
        weights = {}
    out: dict[str, float] = {}
    for k, v in weights.items():
        if k not in COMPONENTS:
            p.append(Problem(f"{at}.weights.{k}", f"unknown component; known: {', '.join(COMPONENTS)}"))
            continue
        w = _number(v)
        if w is None or w < 0 or w > 1:
            p.append(Problem(f"{at}.weights.{k}", "must be a number from 0 to 1"))
            continue
        out[k] = w
    if isinstance(cat.get("weights"), dict) and not any(x.field.startswith(f"{at}.weights") for x in p):
        total = sum(out.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            p.append(Problem(f"{at}.weights", f"the weights sum to {round(total, 6)}; they must sum to 1 (the whole)"))
    for k in COMPONENTS:
        out.setdefault(k, 0.0)
    return out

def _stages(stages: Any) -> tuple[list[dict[str, Any]], list[Problem]]:
    p: list[Problem] = []
    out: list[dict[str, Any]] = []
    if stages is None:
        return [], []
    if not isinstance(stages, list):
        return [], [Problem("stages", "must be a list of {stage, opens_at, closes_at}")]
    seen: set[str] = set()
    for i, st in enumerate(stages):
        at = f"stages[{i}]"
        if not isinstance(st, dict):
            p.append(Problem(at, "must be a mapping with stage, opens_at, closes_at"))
            continue
        name = st.get("stage")
        if name not in STAGES:
            p.append(Problem(f"{at}.stage", f"must be one of {', '.join(STAGES)}"))
            continue
        if name in seen:
            p.append(Problem(f"{at}.stage", f"stage {name} is listed twice"))
            continue
        seen.add(name)
        times = {}
        for k in ("opens_at", "closes_at"):
            try:
                times[k] = to_utc(st.get(k))
            except (ValueError, TypeError):
                p.append(Problem(f"{at}.{k}", "must be a date or date-time such as 2026-03-01T09:00 (Asia/Shanghai)"))
        if len(times) == 2:
            if times["closes_at"] <= times["opens_at"]:
                p.append(Problem(f"{at}.closes_at", "must be after opens_at"))
            out.append({"stage": name, **times})
    ordered = sorted(out, key=lambda s: STAGES.index(s["stage"]))
    for prev, nxt in zip(ordered, ordered[1:]):
        if nxt["opens_at"] < prev["closes_at"]:
            idx = next(i for i, s in enumerate(stages) if isinstance(s, dict) and s.get("stage") == nxt["stage"])
            p.append(Problem(f"stages[{idx}].opens_at",
                             f"the {nxt['stage']} stage opens before the {prev['stage']} stage closes; "
                             "dates are out of order"))
    return ordered, p


def scoring_shape(programme: dict[str, Any]) -> dict[str, Any]:
    """What must not change silently once voting has started: each category's criteria and weights."""
    return {c["category_id"]: {"criteria": c["criteria"], "weights": c["weights"]} for c in programme["categories"]}


def definition_of(programme: dict[str, Any]) -> dict[str, Any]:
    """The defined part of a programme; stage_control defaults for programmes stored before it existed."""
    return {k: programme[k] for k in ("name", "year", "categories", "stages")} | {
        "stage_control": programme.get("stage_control", "organiser")}


def has_voting_started(programme: dict[str, Any], at: datetime) -> bool:
    """Voting has started once the organiser opened it, or (stages by dates) once its window has opened."""
    if programme.get("voting_started"):
        return True
    opens, _ = shared_stages.window(programme, "voting")
    return programme.get("stage_control") == "dates" and opens is not None and opens <= at


def change_decision(old: dict[str, Any], new: dict[str, Any], voting_started: bool) -> Refusal | str:
    """'unchanged', 'new_version', or a refusal when weights or criteria change after voting started."""
    if definition_of(old) == definition_of(new):
        return "unchanged"
    if voting_started:
        old_shape, new_shape = scoring_shape(old), scoring_shape(new)
        for cid in sorted(set(old_shape) | set(new_shape)):
            if old_shape.get(cid) != new_shape.get(cid):
                return Refusal("conflict", f"categories.{cid}",
                               f"the criteria or weights of category {cid} cannot change after voting has started",
                               "criteria_fixed")
        old_rule, new_rule = _round_rule(old), _round_rule(new)
        for cid in sorted(set(old_rule) & set(new_rule)):
            if old_rule[cid] != new_rule[cid]:
                return Refusal("conflict", f"categories.{cid}",
                               f"the peer_vote_round of category {cid} cannot change after voting has started",
                               "peer_vote_round_fixed")
    return "new_version"


def _round_rule(programme: dict[str, Any]) -> dict[str, str]:
    # Which round feeds the peer vote is fixed with the criteria: changing it would silently re-rank.
    return {c["category_id"]: c.get("peer_vote_round", "latest") for c in programme["categories"]}




# ---- the programme's documents and events ---------------------------------------------------------------
def programme_event(doc: dict[str, Any]) -> ProgrammeDefined:
    """The event of a programme version: its whole definition, for the services that learn it."""
    return ProgrammeDefined(
        programme_id=doc["_id"], version=doc["version"], name=doc["name"], year=doc["year"],
        categories=[CategoryInfo.model_validate(
                        {k: c[k] for k in ("category_id", "name", "name_en", "nominee_kind", "board", "quota",
                                           "competitive_ratio", "unit_limit", "criteria", "weights")}
                        | {"peer_vote_round": c.get("peer_vote_round", "latest"),
                           "business_baseline_programme_id": c.get("business_baseline_programme_id")})
                    for c in doc["categories"]],
        stages=[StageWindow.model_validate({"stage": s["stage"], "opens_at": s["opens_at"],
                                            "closes_at": s["closes_at"]})
                for s in doc["stages"]],
        stage_control=doc.get("stage_control", "organiser"))


def ensure_new(pid: str, exists: bool) -> None:
    if exists:
        raise Conflict(f"programme {pid} already exists; change it with PUT /programmes/{pid}", field="programme_id",
                       code="programme_exists")


def first_version(prog: dict[str, Any], pid: str, at: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored programme and its version 1 record."""
    doc = prog | {"_id": pid, "version": 1, "stage_state": {}, "voting_started": False,
                  "created_at": at, "updated_at": at}
    record = {"_id": f"{pid}:1", "programme_id": pid, "version": 1, "recorded_at": at,
              "change": "defined"} | definition_of(prog)
    return doc, record


def next_version(old: dict[str, Any], new: dict[str, Any], by: str,
                 at: datetime) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The changed programme, its version record and the change record (with its outcome)."""
    pid, version = old["_id"], old["version"] + 1
    doc = old | definition_of(new) | {"version": version, "updated_at": at}
    record = {"_id": f"{pid}:{version}", "programme_id": pid, "version": version, "recorded_at": at,
              "change": "changed", "by": by} | definition_of(new)
    change = {"programme_id": pid, "at": at, "by": by, "outcome": "new_version", "version": version}
    return doc, record, change


def refused_change(pid: str, new: dict[str, Any], refusal: Refusal, by: str, at: datetime) -> dict[str, Any]:
    """The record of a refused change: what was attempted and why it was refused."""
    return {"programme_id": pid, "at": at, "by": by, "outcome": "refused", "reason": refusal.message,
            "attempted": definition_of(new)}


# ---- stages -----------------------------------------------------------------------------------------------
def stage_state(action: str, stage: str) -> Literal["open", "closed"]:
    """The state a stage action leads to; an unknown stage or action is not found."""
    if stage not in STAGES:
        raise NotFound(f"unknown stage {stage}; stages are {', '.join(STAGES)}", field="stage")
    if action not in ("open", "close"):
        raise NotFound("the action must be open or close", field="action")
    return "open" if action == "open" else "closed"


def stage_change(prog: dict[str, Any], stage: str, state: Literal["open", "closed"],
                 at: datetime) -> tuple[dict[str, Any], StageChanged]:
    """The programme update and the event of opening or closing a stage; a stage already so is a conflict.
    Opening voting marks the programme: its criteria and weights are fixed from then on. A programme whose stages
    open and close by their dates refuses the organiser's open and close."""
    if prog.get("stage_control") == "dates":
        raise Conflict(f"the stages of programme {prog['_id']} open and close by their dates (stage_control: "
                       f"dates); the {stage} stage cannot be {'opened' if state == 'open' else 'closed'} by hand",
                       field="stage", code="stage_control")
    if prog.get("stage_state", {}).get(stage, "closed") == state:
        if state == "open":
            raise Conflict(f"the {stage} stage is already {state}", field="stage", code="stage_already_open",
                           params={"stage": stage})
        raise Conflict(f"the {stage} stage is already {state}", field="stage", code="stage_already_closed",
                       params={"stage": stage})
    update: dict[str, Any] = {f"stage_state.{stage}": state, "updated_at": at}
    if stage == "voting" and state == "open":
        update["voting_started"] = True
    return update, StageChanged(programme_id=prog["_id"], stage=stage, state=state)


def stage_open(prog: dict[str, Any], stage: str, at: datetime | None = None) -> bool:
    """Whether a stage is open now: as the organiser set it, or by its window (stage_control: dates)."""
    return shared_stages.state_of(prog, stage, at) == "open"


def current_stage(prog: dict[str, Any], at: datetime | None = None) -> str:
    """The furthest stage open now, or "" when none is (e.g. between review and voting)."""
    return next((s for s in reversed(STAGES) if shared_stages.state_of(prog, s, at) == "open"), "")


def category_of(prog: dict[str, Any], category_id: str) -> dict[str, Any] | None:
    return next((c for c in prog["categories"] if c["category_id"] == category_id), None)
