"""Pure rules of a notice: the shortlist, the closing decision and the Chinese notice text."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.errors import Closed, Conflict, Invalid, NotFound

from .calendar import PERIOD_ENDS_AT, SHANGHAI, Period, as_utc, cn_date, cn_moment, window_state

# A notice starts when it is published: a start in the past is refused (no backdating, so its objection window is
# always the full N working days from publication). A start within CLOCK_SKEW before now is a client's clock
# running slightly behind and counts as now.
CLOCK_SKEW = timedelta(minutes=2)
MAX_AHEAD = timedelta(days=90)
ENTRY_LABELS = {"in_publicity": "公示中", "blocked": "待异议核查", "removed": "已取消", "confirmed": "已确认",
                "revoked": "荣誉已撤销"}


# ---- shortlist and closing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranked:
    nomination_id: str
    rank: int
    composite: float = 0.0


def shortlist(standings: Iterable[Ranked], quota: int, listed: list[str] | None = None,
              excluded: Iterable[str] = ()) -> list[Ranked]:
    """The organiser's listed nominations (in their order), or the top `quota` by rank not already excluded."""
    ranked = sorted(standings, key=lambda s: (s.rank, -s.composite, s.nomination_id))
    by_id = {s.nomination_id: s for s in ranked}
    if listed:
        return [by_id.get(n, Ranked(nomination_id=n, rank=0)) for n in dict.fromkeys(listed)]
    skip = set(excluded)
    return [s for s in ranked if s.nomination_id not in skip][:max(quota, 0)]


def next_ranked(standings: Iterable[Ranked], excluded: Iterable[str]) -> Ranked | None:
    skip = set(excluded)
    for s in sorted(standings, key=lambda s: (s.rank, -s.composite, s.nomination_id)):
        if s.nomination_id not in skip:
            return s
    return None


@dataclass(frozen=True)
class Closing:
    confirm: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def close_notice(entries: list[dict[str, Any]], open_objections: Mapping[str, int]) -> Closing:
    """At the end of the period: confirm each nominee still listed with no open objection; block the others."""
    out = Closing()
    for e in entries:
        nid, status = e["nomination_id"], e.get("status", "in_publicity")
        if status == "removed":
            out.removed.append(nid)
        elif status == "confirmed":
            continue
        elif open_objections.get(nid, 0) > 0:
            out.blocked.append(nid)
        else:
            out.confirm.append(nid)
    return out


# ---- the notice text ---------------------------------------------------------------------------------------

KIND_WORD = {"organ": "个单位", "branch": "个党支部", "site": "个示范点", "team": "支服务队", "member": "名同志"}


@dataclass(frozen=True)
class NoticeText:
    title: str
    greeting: str
    intro: str
    rows: list[tuple[int, str, str]]      # (no., name, unit)
    period: str
    objections: str
    warning: str
    contact: str
    issuer: str
    dated: str

    def paragraphs(self) -> list[str]:
        out = [self.intro]
        out += [f"{n}. {name}（{unit}）" if unit else f"{n}. {name}" for n, name, unit in self.rows]
        out += [self.period, self.objections]
        if self.warning:
            out.append(self.warning)
        out.append(self.contact)
        return out

    def plain(self) -> str:
        return "\n".join([self.title, "", *self.paragraphs(), "", self.issuer, self.dated])


def notice_text(*, programme_name: str, year: int | None, category_name: str, nominee_kind: str,
                rows: list[tuple[str, str]], period: Period, contact_office: str, contact_phone: str,
                contact_email: str, issuer: str, issued_on: date, supplementary: bool = False,
                objection_url: str = "") -> NoticeText:
    label = f"{year}年度“{category_name}”" if year else f"“{category_name}”"
    title = f"关于{label}评选结果的{'补充' if supplementary else ''}公示"
    word = KIND_WORD.get(nominee_kind, "个")
    basis = f"根据《{programme_name}》工作安排，" if programme_name else ""
    if supplementary:
        intro = (f"{basis}因原拟表彰对象经核查不再列入，经评审委员会研究，按综合排名顺序递补以下"
                 f"{len(rows)}{word}为{label}拟表彰对象，现予以公示：")
    else:
        intro = (f"{basis}经单位申报、资格审查、民主测评和评审委员会综合评审，拟确定以下{len(rows)}{word}"
                 f"为{label}拟表彰对象（按综合排名顺序），现予以公示：")
    period_text = (f"公示期为{cn_date(period.first_day)}至{cn_date(period.last_day)}"
                   f"（共{len(period.days)}个工作日，法定节假日不计入），截止时间为{cn_date(period.last_day)}"
                   f"{PERIOD_ENDS_AT.strftime('%H:%M')}。")
    where = f"通过公示网页（{objection_url}）" if objection_url else "通过本系统公示页面"
    objections = (f"公示期间，如对公示对象有异议，请{where}或以书面形式向{contact_office}反映。反映问题应实事求是，"
                  f"须署真实姓名并提供有效联系方式（手机号码或电子邮箱）及具体事实依据，可附相关材料；"
                  f"匿名、超出公示期或无具体事实依据的反映不予受理。受理后将出具受理编号，可凭编号查询办理状态。"
                  f"我们将严格为反映人保密。")
    contact_bits = [f"联系单位：{contact_office}"]
    if contact_phone:
        contact_bits.append(f"联系电话：{contact_phone}")
    if contact_email:
        contact_bits.append(f"电子邮箱：{contact_email}")
    return NoticeText(
        title=title, greeting="", intro=intro,
        rows=[(i + 1, name, unit) for i, (name, unit) in enumerate(rows)],
        period=period_text, objections=objections, warning=period.warning, contact="；".join(contact_bits) + "。",
        issuer=issuer, dated=cn_date(issued_on),
    )


def rebuild_text(n: dict[str, Any]) -> NoticeText:
    """The text of a stored notice, rebuilt from what it stored (downloads)."""
    days = tuple(date.fromisoformat(d) for d in n["days"])
    period = Period(starts_at=as_utc(n["starts_at"]), ends_at=as_utc(n["ends_at"]), days=days,
                    warning=n.get("calendar_warning", ""))
    return notice_text(
        programme_name=n.get("programme_name", ""), year=n.get("year"), category_name=n["category_name"],
        nominee_kind=n.get("nominee_kind", ""), rows=[(e["nominee_name"], e["unit_name"]) for e in n["entries"]],
        period=period, contact_office=n["contact_office"], contact_phone=n.get("contact_phone", ""),
        contact_email=n.get("contact_email", ""), issuer=n["issuer"],
        issued_on=as_utc(n["starts_at"]).astimezone(SHANGHAI).date(), supplementary=bool(n.get("replaces")),
        objection_url=n.get("objection_url", ""))


# ---- the invariants of opening a notice --------------------------------------------------------------------------

def category_of(programme: dict[str, Any] | None, programme_id: str, category_id: str) -> dict[str, Any]:
    """The category a notice is opened for, or NotFound naming what the service has not learned."""
    if programme is None:
        raise NotFound(f"programme_id: programme {programme_id} is not known to the publicity service "
                       f"(no ProgrammeDefined received)", field="programme_id")
    category: dict[str, Any] | None = next((c for c in programme["categories"] if c["category_id"] == category_id),
                                           None)
    if category is None:
        raise NotFound(f"category_id: category {category_id} is not in programme {programme_id}",
                       field="category_id")
    return category


def pick(category: dict[str, Any], board: dict[str, Any] | None, listed_before: set[str],
         nomination_ids: list[str] | None,
         vetoed: Iterable[str] = ()) -> list[Ranked]:
    """The nominations a new notice lists: the organiser's, or the top of the ranking not already in a notice and not
    under a veto (一票否决)."""
    if board is None and not nomination_ids:
        raise Conflict(f"category_id: no ranked shortlist for {category['name']} yet (no StandingsUpdated "
                       f"received); list nomination_ids or wait for the ranking", field="category_id",
                       code="no_ranking_yet")
    ranked = ranked_of(board)
    if nomination_ids is not None and not nomination_ids:
        raise Invalid("nomination_ids: list at least one nomination, or omit it for the top of the ranking",
                      field="nomination_ids", code="no_nominee_listed")
    if not nomination_ids and listed_before:
        raise Conflict(f"category_id: {category['name']} already has a publicity notice; list nomination_ids "
                       f"explicitly, or use POST /notices/{{id}}/replacements after a removal", field="category_id",
                       code="notice_exists")
    picked = shortlist(ranked, category["quota"], nomination_ids, excluded=listed_before | set(vetoed))
    if not picked:
        raise Conflict("category_id: every ranked candidate of this category is already in a notice",
                       field="category_id")
    return picked


def check_picked(picked: list[Ranked], docs: Mapping[str, dict[str, Any]], category: dict[str, Any], category_id: str,
                 listed_before: set[str], explicit: bool, vetoed: Iterable[str] = ()) -> None:
    """Every picked nomination is known, of this category, in no other notice and under no veto."""
    vetoed = set(vetoed)
    for p in picked:
        doc = docs.get(p.nomination_id)
        if doc is None and not explicit:
            raise Conflict(f"category_id: the ranking lists nomination {p.nomination_id}, whose details have not "
                           f"reached the publicity service yet; try again shortly", field="category_id",
                           code="details_pending")
        if doc is None or doc.get("category_id") != category_id:
            raise NotFound(f"nomination_ids: nomination {p.nomination_id} is not a known nomination of "
                           f"{category['name']}", field="nomination_ids")
        if p.nomination_id in listed_before:
            raise Conflict(f"nomination_ids: {doc['nominee_name']} ({p.nomination_id}) is already in a notice",
                           field="nomination_ids")
        if p.nomination_id in vetoed:
            raise Conflict(f"nomination_ids: {doc['nominee_name']} ({p.nomination_id}) is under a veto (一票否决) "
                           f"and cannot be put on a notice", field="nomination_ids", code="vetoed")


def check_start(start: datetime, current: datetime) -> datetime:
    """The start of a notice: when it is published. A past start is refused (no backdating); returns the start."""
    if start < current - CLOCK_SKEW:
        raise Invalid(f"starts_at: a notice starts when it is published and cannot be backdated: "
                      f"{cn_moment(start)} is before now ({cn_moment(current)}, Asia/Shanghai); omit starts_at to "
                      f"publish now, or give a later moment", field="starts_at", code="starts_in_past")
    if start > current + MAX_AHEAD:
        raise Invalid(f"starts_at: a notice can be scheduled at most {MAX_AHEAD.days} days ahead", field="starts_at",
                      code="starts_too_far", params={"days": MAX_AHEAD.days})
    return max(start, current)


def listing(picked: list[Ranked], board: dict[str, Any] | None,
            docs: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The frozen lines of a notice (shared.contracts.publicity.ListedEntry): rank, composite and the explanation
    (components) as the board had them, with the nominee's name and unit."""
    rows = {x["nomination_id"]: x for x in (board or {}).get("standings", [])}
    out = []
    for p in picked:
        row, doc = rows.get(p.nomination_id, {}), docs.get(p.nomination_id, {})
        out.append({"nomination_id": p.nomination_id, "rank": p.rank, "composite": p.composite,
                    "components": row.get("components", []),
                    "nominee_name": doc.get("nominee_name") or row.get("nominee_name", ""),
                    "unit_name": doc.get("unit_name", "")})
    return out


def removable(n: dict[str, Any], nomination_id: str) -> dict[str, Any] | None:
    """The entry of a nominee a removal (sustained objection, veto) takes off notice n, or None when it is not
    listed, or removed or confirmed already (a confirmed honour is revoked instead)."""
    entry: dict[str, Any] | None = next((e for e in n["entries"] if e["nomination_id"] == nomination_id), None)
    return entry if entry is not None and entry["status"] in ("in_publicity", "blocked") else None


def check_correction(n: dict[str, Any], starts_at: datetime | None, working_days: int | None,
                     now: datetime) -> datetime:
    """The start of a corrected period, or the refusal: only an open notice's dates are corrected, a start that has
    passed no longer moves, and a new start is not in the past."""
    if n["state"] != "open":
        raise Conflict(f"notice_id: notice {n['_id']} is closed; its dates can no longer be corrected",
                       field="notice_id", code="notice_closed")
    current = as_utc(n["starts_at"])
    if starts_at is None or starts_at == current:
        if working_days is None or working_days == n["working_days"]:
            raise Invalid("starts_at: give a new starts_at or working_days to correct", field="starts_at",
                          code="nothing_to_correct")
        return current
    if current <= now:
        raise Conflict(f"starts_at: the notice was published at {cn_moment(current)} and objections are open; "
                       f"its start can no longer move (correct working_days instead)", field="starts_at",
                       code="notice_started")
    return check_start(starts_at, now)


def ranked_of(board: dict[str, Any] | None) -> list[Ranked]:
    return [Ranked(x["nomination_id"], x["rank"], x.get("composite", 0.0)) for x in (board or {}).get("standings", [])]


def awaiting_replacement(n: dict[str, Any], replaced: int) -> list[str]:
    """The removed nominees of notice n still without a replacement (递补), or Conflict when there is none."""
    removed = [e["nomination_id"] for e in n["entries"] if e["status"] == "removed"]
    if not removed:
        raise Conflict("notice_id: no nominee of this notice was removed; a replacement follows a sustained "
                       "objection", field="notice_id", code="nothing_removed")
    if replaced >= len(removed):
        raise Conflict("notice_id: every removed nominee of this notice already has a replacement",
                       field="notice_id", code="all_replaced")
    return removed[replaced:replaced + 1]


# ---- the invariants of an objection on a notice ------------------------------------------------------------------

def entry_open_to_objection(n: dict[str, Any], nomination_id: str, now: datetime) -> dict[str, Any]:
    """The entry objected to, while the period runs and the nominee is still in publicity."""
    state = window_state(now, as_utc(n["starts_at"]), as_utc(n["ends_at"]))
    if state != "open" or n["state"] != "open":
        first, last = cn_date(date.fromisoformat(n["days"][0])), cn_moment(as_utc(n["ends_at"]))
        when = "has not started" if state == "before" else "has ended"
        raise Closed(f"the publicity period {when}: objections are accepted from "
                     f"{cn_moment(as_utc(n['starts_at']))} ({first}) to {last} (Asia/Shanghai)",
                     field="notice_id", code="publicity_not_started" if state == "before" else "publicity_ended")
    entry: dict[str, Any] | None = next((e for e in n["entries"] if e["nomination_id"] == nomination_id), None)
    if entry is None:
        raise NotFound(f"nomination_id: {nomination_id} is not listed in this notice", field="nomination_id")
    if entry["status"] != "in_publicity":
        raise Conflict(f"nomination_id: {entry['nominee_name']} is no longer in publicity", field="nomination_id",
                       code="not_in_publicity")
    return entry
