"""Demo seeding for publicity, through its HTTP API only: a live 公示 for 模范机关 with one public objection, and a
short 公示 for 先锋红旗党支部 (one working day) whose honours, once it closes, show the wall a confirmed and a revoked
honour."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .context import DemoContext

SERVICE = "publicity"


def _category(ctx: DemoContext, name: str, board: str) -> dict | None:
    for c in ctx.data.get("categories", []):
        if c.get("name") == name or c.get("board") == board:
            return c
    return None


async def _shortlist(ctx: DemoContext, category_id: str) -> list[dict]:
    body = await ctx.call("GET", SERVICE, f"/programmes/{ctx.programme_id}/shortlists", role="organiser")
    for c in body.get("categories", []):
        top = c["standings"][:max(2, int(c.get("quota") or 2))]
        # the names come from NominationSubmitted on another topic: wait until the top ones are known too
        if c["category_id"] == category_id and top and all(s["nominee_name"] for s in top):
            return c["standings"]
    return []


async def _open(ctx: DemoContext, spec: dict) -> dict:
    return await ctx.until(lambda: _try_open(ctx, spec), "publicity learning that the publicity stage is open", 60)


async def _try_open(ctx: DemoContext, spec: dict) -> dict | None:
    """The notice opened; None while publicity has not yet learned that the organiser opened the stage (公示)."""
    r = await ctx.client.post(ctx.url(SERVICE, "/notices"), json=spec, headers=ctx.headers("organiser"))
    if r.status_code == 409 and r.json().get("error", {}).get("code") == "stage_closed":
        return None
    if r.status_code == 422 and "calendar" in r.text:
        # the period runs into a year whose holidays are not published yet: count weekends only, with a warning
        r = await ctx.client.post(ctx.url(SERVICE, "/notices"), json=spec | {"fallback_weekends_only": True},
                                  headers=ctx.headers("organiser"))
    if r.status_code != 201:
        raise RuntimeError(f"POST publicity/notices -> {r.status_code}: {r.text[:500]}")
    return r.json()


async def seed(ctx: DemoContext) -> None:
    notices: list[dict] = []
    organ = _category(ctx, "模范机关", "model_organ")
    if organ is None:
        raise RuntimeError("demo: no 模范机关 category in ctx.data['categories']")
    await ctx.until(lambda: _shortlist(ctx, organ["category_id"]), "standings for 模范机关 reach publicity", 90)
    await ctx.enter_stage("publicity")  # notices open in the publicity stage (公示) only
    live = await _open(ctx, {"programme_id": ctx.programme_id, "category_id": organ["category_id"], "working_days": 5,
                             "contact_phone": "0571-87001234", "contact_email": "gongshi@example.gov.cn"})
    notices.append({"notice_id": live["notice_id"], "category_id": organ["category_id"]})
    ctx.progress(f"demo: 公示 {live['title']} until {live['ends_at']}")

    # one real-name objection from a member of the public (contact details stay sealed in the service)
    target = live["entries"][-1]
    r = await ctx.client.post(ctx.url(SERVICE, f"/notices/{live['notice_id']}/objections"), data={
        "nomination_id": target["nomination_id"], "name": "陈明", "phone": "13900001111",
        "reason": "反映该单位年度重点任务完成情况材料中有数据与公开报道不一致，请予核实。"})
    if r.status_code != 201:
        raise RuntimeError(f"demo: objection refused: {r.status_code} {r.text[:300]}")
    ctx.progress(f"demo: objection filed, tracking number {r.json()['tracking_no']}")

    # a short 公示 for 先锋红旗党支部: one working day. A notice starts when it is published (no backdating), so its
    # honours are confirmed when its day is over; the demo waits a little for them (a service whose clock is
    # already past that day closes it at once), and otherwise says when they come.
    branch = _category(ctx, "先锋红旗党支部", "red_flag_branch")
    if branch is not None:
        spec = {"programme_id": ctx.programme_id, "category_id": branch["category_id"], "working_days": 1}
        try:
            standings = await ctx.until(lambda: _shortlist(ctx, branch["category_id"]), "standings for 先锋红旗党支部",
                                        20)
            spec["nomination_ids"] = [s["nomination_id"] for s in standings[:max(2, int(branch.get("quota", 2)))]]
        except TimeoutError:
            ids = [n["nomination_id"] for n in ctx.data.get("nominations", [])
                   if n["category_id"] == branch["category_id"]][:max(2, int(branch.get("quota", 2)))]
            if not ids:
                raise RuntimeError("demo: no 先锋红旗党支部 nominations to publicise") from None
            spec["nomination_ids"] = ids
        past = await _open(ctx, spec)
        notices.append({"notice_id": past["notice_id"], "category_id": branch["category_id"]})

        async def confirmed():
            body = await ctx.call("GET", SERVICE, f"/honours?programme_id={ctx.programme_id}")
            return [h for h in body["honours"] if h["notice_id"] == past["notice_id"]]

        try:
            honours = await ctx.until(confirmed, "the short 公示 closes and confirms honours", ctx.honours_wait)
        except TimeoutError:
            ctx.progress(f"demo: 公示 {past['title']} runs until {past['ends_at']}; its honours are confirmed then")
            ctx.data["notices"] = notices
            return
        if len(honours) >= 2:
            revoked = honours[-1]
            await ctx.call("POST", SERVICE, f"/honours/{revoked['honour_id']}/revoke", role="organiser",
                           json={"reason": "动态管理复查中发现支部组织生活制度落实不到位，经研究撤销荣誉称号。"})
            ctx.progress(f"demo: honour of {revoked['nominee_name']} revoked")
        kept = honours[0]
        due = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
        await ctx.call("POST", SERVICE, f"/honours/{kept['honour_id']}/reviews", role="organiser",
                       json={"due_date": due, "note": "年度复查"})
    ctx.data["notices"] = notices
