"""Demo seeding for the nominations service, through its HTTP API only, and a deterministic generator of a
realistic organisation tree and roll (reused by the import benchmark in tests/nominations)."""
from __future__ import annotations

import asyncio
import csv
import io
import random
from pathlib import Path

from .context import DemoContext

PROGRAMME_FILE = Path(__file__).with_name("programme.yaml")

ORGANS = [
    ("bgs", "市委办公室"), ("zfb", "市政府办公室"), ("zzb", "市委组织部"), ("xcb", "市委宣传部"),
    ("tzb", "市委统战部"), ("zfw", "市委政法委员会"), ("fgw", "市发展和改革委员会"), ("jyj", "市教育局"),
    ("kjj", "市科学技术局"), ("gxj", "市工业和信息化局"), ("gaj", "市公安局"), ("mzj", "市民政局"),
    ("sfj", "市司法局"), ("czj", "市财政局"), ("rsj", "市人力资源和社会保障局"), ("zrj", "市自然资源和规划局"),
    ("sthj", "市生态环境局"), ("zjj", "市住房和城乡建设局"), ("jtj", "市交通运输局"), ("slj", "市水利局"),
    ("nyj", "市农业农村局"), ("swj", "市商务局"), ("wlj", "市文化广电旅游局"), ("wjw", "市卫生健康委员会"),
    ("tyjr", "市退役军人事务局"), ("yjj", "市应急管理局"), ("sjj", "市审计局"), ("gzw", "市国有资产监督管理委员会"),
    ("scj", "市市场监督管理局"), ("tjj", "市统计局"), ("ybj", "市医疗保障局"), ("sjy", "市数据局"),
    ("xfj", "市信访局"), ("jgswj", "市机关事务管理局"), ("tyj", "市体育局"), ("lyj", "市林业局"),
    ("rfb", "市人民防空办公室"), ("gxs", "市供销合作社"), ("dsb", "市委党史研究室"), ("dag", "市档案馆"),
]
DEPARTMENTS = ["办公室", "机关党委", "政策法规处", "综合业务处", "财务审计处", "人事处", "信息中心", "监督检查处"]
ORDINALS = "一二三四五六七八九十"
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明海燕红梅晓东晓燕文静文华"
         "宇航子轩浩然欣怡思远嘉怡雨桐梓涵一鸣佳琪俊杰振华国庆春生秋实冬梅立新学军卫东红旗永红")


def _given_names() -> list[str]:
    singles = list(dict.fromkeys(GIVEN))
    return singles


def generate_organisation(n_units: int, n_members: int, seed: int = 2026) -> tuple[list[dict], list[dict]]:
    """N units (organs -> departments -> branches) and M members, deterministic for a seed; a pure function.
    Each organ has 2 departments and 3 party branches under them, so 6 units per organ."""
    rng = random.Random(seed)
    units: list[dict] = []
    i = 0
    while len(units) < n_units:
        code, name = ORGANS[i % len(ORGANS)]
        if i >= len(ORGANS):
            code, name = f"{code}{i // len(ORGANS) + 1}", f"{name}（第{i // len(ORGANS) + 1}片区）"
        organ_id = f"u-{code}"
        units.append({"unit_id": organ_id, "name": name, "parent_id": None, "kind": "organ"})
        depts = rng.sample(DEPARTMENTS, 2)
        dept_ids = []
        for j, dept in enumerate(depts, 1):
            dept_ids.append(f"{organ_id}-d{j}")
            units.append({"unit_id": dept_ids[-1], "name": f"{name}{dept}", "parent_id": organ_id,
                          "kind": "department"})
        for k in range(3):
            units.append({"unit_id": f"{organ_id}-b{k + 1}", "name": f"{name}机关第{ORDINALS[k]}党支部",
                          "parent_id": dept_ids[k % 2], "kind": "branch"})
        i += 1
    units = units[:n_units]
    homes = [u["unit_id"] for u in units if u["kind"] == "branch"] or [u["unit_id"] for u in units]
    given = _given_names()
    members = []
    for m in range(n_members):
        name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
        members.append({"member_id": f"m{m + 1:06d}", "name": name, "unit_id": homes[m % len(homes)]})
    return units, members


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r[c] for c in columns])
    return buf.getvalue().encode("utf-8")


def demo_nominees(units: list[dict]) -> list[tuple[str, str, str]]:
    """(category_id, nominee_id, submitting unit) for the demo: every organ for 模范机关 and 60 branches for
    先锋红旗党支部 (the first branch of each organ, the second branch of the first 20 organs)."""
    organs = [u for u in units if u["kind"] == "organ"]
    out = [("model-organ", o["unit_id"], o["unit_id"]) for o in organs]
    for k in (1, 2):
        for o in organs:
            if len([x for x in out if x[0] == "red-flag-branch"]) >= 100 - len(organs):
                break
            out.append(("red-flag-branch", f"{o['unit_id']}-b{k}", o["unit_id"]))
    return out


async def seed(ctx: DemoContext) -> None:
    pid = ctx.programme_id
    text = PROGRAMME_FILE.read_text(encoding="utf-8").replace("programme_id: demo-2026", f"programme_id: {pid}")
    await ctx.call("POST", "nominations", "/programmes/upload", role="organiser", expect=(201, 409),
                   files={"file": ("programme.yaml", text.encode("utf-8"), "application/yaml")})
    programme = await ctx.call("GET", "nominations", f"/programmes/{pid}")
    ctx.progress(f"demo: programme {programme['name']} v{programme['version']} defined")

    units, members = generate_organisation(ctx.n_units, ctx.n_members)
    r = await ctx.call("POST", "nominations", f"/programmes/{pid}/units/import", role="organiser",
                       files={"file": ("units.csv", to_csv(units, ["unit_id", "name", "parent_id", "kind"]))})
    ctx.progress(f"demo: {len(units)} units ({r['imported']} new or changed)")
    r = await ctx.call("POST", "nominations", f"/programmes/{pid}/members/import", role="organiser",
                       files={"file": ("members.csv", to_csv(members, ["member_id", "name", "unit_id"]))})
    ctx.progress(f"demo: {len(members)} members on the roll ({r['imported']} new or changed)")

    existing = await _all_nominations(ctx, pid)
    have = {(n["category_id"], n["nominee_id"]) for n in existing if n["status"] != "withdrawn"}
    todo = [t for t in demo_nominees(units) if (t[0], t[1]) not in have]
    if todo or not any(n["status"] in ("returned", "rejected") for n in existing):
        # Submitting and resubmitting a returned nomination happen in the nomination stage (申报) only.
        await ctx.enter_stage("nomination")
    criteria = {c["category_id"]: c["criteria"] for c in programme["categories"]}
    rng = random.Random(7)
    sem = asyncio.Semaphore(8)

    async def submit(cid: str, nominee: str, unit: str) -> None:
        async with sem:
            assessment = {c["criterion_id"]: c["max_points"] - rng.choice((0, 0.5, 1, 1.5, 2, 3))
                          for c in criteria[cid]}
            await ctx.call("POST", "nominations", f"/programmes/{pid}/nominations", role="unit",
                           claims={"unit_id": unit}, json={
                               "category_id": cid, "nominee_id": nominee, "unit_id": unit, "self_assessment":
                               assessment, "materials": "该单位坚持以党建引领业务发展，全面落实“五强五带头”要求，"
                                                        "在重点任务中发挥示范带头作用。"})

    await asyncio.gather(*[submit(*t) for t in todo])
    ctx.progress(f"demo: {len(todo)} nominations submitted")

    noms = await _all_nominations(ctx, pid)
    pending = sorted((n for n in noms if n["status"] == "submitted"), key=lambda n: n["nomination_id"])
    if len(pending) >= 3 and not any(n["status"] in ("returned", "rejected") for n in noms):
        returned, revised, rejected = pending[0], pending[1], pending[2]
        base = f"/programmes/{pid}/nominations"
        await ctx.call("POST", "nominations", f"{base}/{returned['nomination_id']}/return", role="organiser",
                       json={"comments": "事迹材料缺少2025年度重点任务完成情况，请补充后重新报送"})
        await ctx.call("POST", "nominations", f"{base}/{revised['nomination_id']}/return", role="organiser",
                       json={"comments": "自评分与佐证材料不符，请核实"})
        await ctx.call("PUT", "nominations", f"{base}/{revised['nomination_id']}", role="unit",
                       claims={"unit_id": revised["unit_id"]},
                       json={"materials": "已补充佐证材料：年度考核优秀、重点任务清单完成率100%。"})
        await ctx.call("POST", "nominations", f"{base}/{rejected['nomination_id']}/reject", role="organiser",
                       json={"reason": "申报对象近三年内存在被通报批评情形，不符合申报条件"})
        pending = [n for n in pending if n["nomination_id"] not in (returned["nomination_id"],
                                                                    rejected["nomination_id"])]

    if pending:
        await ctx.enter_stage("review")  # 资格审查: the nomination stage is over

    async def approve(n: dict) -> None:
        async with sem:
            await ctx.call("POST", "nominations", f"/programmes/{pid}/nominations/{n['nomination_id']}/approve",
                           role="organiser", json={"comment": "资格审查通过"}, expect=(200, 409))

    await asyncio.gather(*[approve(n) for n in pending])
    noms = await _all_nominations(ctx, pid)
    approved = [n for n in noms if n["status"] == "approved"]
    ctx.progress(f"demo: {len(approved)} nominations approved, "
                 f"{sum(n['status'] == 'returned' for n in noms)} returned, "
                 f"{sum(n['status'] == 'rejected' for n in noms)} rejected")

    ctx.data["units"] = units
    ctx.data["members"] = members
    ctx.data["categories"] = programme["categories"]
    ctx.data["nominations"] = [{k: n[k] for k in ("nomination_id", "category_id", "nominee_id", "nominee_name",
                                                  "unit_id", "unit_name")} for n in approved]


async def _all_nominations(ctx: DemoContext, pid: str) -> list[dict]:
    out, page = [], 1
    while True:
        body = await ctx.call("GET", "nominations", f"/programmes/{pid}/nominations?page={page}&page_size=500",
                              role="organiser")
        out += body["items"]
        if len(out) >= body["total"] or not body["items"]:
            return out
        page += 1
