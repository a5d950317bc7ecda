"""Documents written straight into the leaderboard read model, shaped as services/leaderboard/projections write them."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

PROGRAMME_ID = "seed2026"
WEIGHTS = {"basic": 0.3, "key_tasks": 0.2, "business": 0.2, "report": 0.1, "peer_vote": 0.2}
UNITS = ["市财政局", "市发展和改革委员会", "市教育局", "市卫生健康委员会", "市住房和城乡建设局", "市交通运输局",
         "市农业农村局", "市商务局", "市文化广电旅游局", "市应急管理局", "市市场监督管理局", "市统计局"]


def seed_read_model(db, nominees: int = 500) -> dict:
    rnd = random.Random(7)
    now = datetime.now(UTC)
    categories = [
        {"category_id": "organ", "name": "模范机关", "name_en": "Model organs", "nominee_kind": "organ",
         "board": "model_organ", "quota": 50, "competitive_ratio": 1.2, "criteria": [], "weights": WEIGHTS},
        {"category_id": "branch", "name": "先锋红旗党支部", "name_en": "Red-flag branches", "nominee_kind": "branch",
         "board": "red_flag_branch", "quota": 10, "competitive_ratio": 1.2, "criteria": [], "weights": WEIGHTS},
        {"category_id": "member", "name": "四好优秀党员", "name_en": "Four-good members", "nominee_kind": "member",
         "board": "excellent_member", "quota": 20, "competitive_ratio": 1.2, "criteria": [], "weights": WEIGHTS},
    ]
    db.programmes.replace_one({"_id": PROGRAMME_ID}, {
        "_id": PROGRAMME_ID, "programme_id": PROGRAMME_ID, "version": 1, "name": "2026年度创先争优评选（演示）",
        "year": 2026, "categories": categories, "stages": []}, upsert=True)
    docs = []
    for cat, count in (("organ", nominees), ("branch", 30), ("member", 40)):
        rows = []
        for i in range(count):
            comps = []
            for comp, w in WEIGHTS.items():
                norm = round(rnd.uniform(55, 100), 2)
                raw = round(norm / 100 * (30 if comp != "peer_vote" else 1), 2)
                comps.append({"component": comp, "raw": raw, "normalised": norm, "weight": w,
                              "contribution": round(norm * w, 4), "detail": "seed"})
            rows.append((round(sum(c["contribution"] for c in comps), 4), comps, i))
        rows.sort(key=lambda r: -r[0])
        for rank, (composite, comps, i) in enumerate(rows, start=1):
            unit = UNITS[i % len(UNITS)]
            status = "confirmed" if rank <= 3 else "in_publicity" if rank <= 6 else "approved"
            docs.append({"_id": f"{cat}-{i:04d}", "programme_id": PROGRAMME_ID, "category_id": cat,
                         "category_name": next(c["name"] for c in categories if c["category_id"] == cat),
                         "board": next(c["board"] for c in categories if c["category_id"] == cat),
                         "nominee_id": f"{cat}-{i}", "nominee_name": f"{unit}第{i + 1}党支部" if cat == "branch"
                         else f"{unit}（{i + 1}）" if cat == "organ" else f"党员{i + 1}",
                         "nominee_kind": cat, "unit_id": f"u{i % len(UNITS)}", "unit_name": unit, "status": status,
                         "rank": rank, "composite": composite, "components": comps, "tie_break": "",
                         "vote": {"round_id": "seed-r1", "approvals": rnd.randint(20, 200), "grades": {},
                                  "share_of_eligible": 0.5, "share_of_cast": 0.6}, "updated_at": now})
    db.entries.delete_many({"programme_id": PROGRAMME_ID})
    db.entries.insert_many(docs)
    db.arenas.replace_one({"_id": "seed-arena"}, {
        "_id": "seed-arena", "programme_id": PROGRAMME_ID, "arena_id": "seed-arena", "name": "先锋服务队擂台赛",
        "sequence": 5, "frozen": True, "frozen_from": "决赛", "rounds": ["初赛", "复赛"], "live_weight": 0.7,
        "rows": [{"contestant_id": f"c{k}", "name": f"{UNITS[k]}服务队", "order": k, "rank": k + 1,
                  "rounds": [{"round_id": "r1", "name": "初赛", "score": 9.5 - k * 0.3, "judges": 7, "trimmed": True},
                             {"round_id": "r2", "name": "复赛", "score": 9.2 - k * 0.2, "judges": 7, "trimmed": True}],
                  "live_total": 18.7 - k * 0.5, "live_normalised": 93.5 - k * 2.5, "prior": 90.0 - k,
                  "final": round(0.7 * (93.5 - k * 2.5) + 0.3 * (90.0 - k), 4)} for k in range(6)],
        "updated_at": now}, upsert=True)
    confirmed_at = now - timedelta(days=30)
    db.honours.delete_many({"programme_id": PROGRAMME_ID})
    db.honours.insert_many([
        {"_id": f"seed-h{k}", "programme_id": PROGRAMME_ID, "nomination_id": f"organ-{k:04d}", "category_id": "organ",
         "title": "2026年度模范机关", "nominee_name": f"{UNITS[k]}", "unit_name": UNITS[k], "status": "confirmed",
         "confirmed_at": confirmed_at, "history": [{"at": confirmed_at, "status": "confirmed"}]} for k in range(5)] + [
        {"_id": "seed-h-revoked", "programme_id": PROGRAMME_ID, "nomination_id": "organ-0009", "category_id": "organ",
         "title": "2026年度模范机关", "nominee_name": UNITS[9], "unit_name": UNITS[9], "status": "revoked",
         "confirmed_at": confirmed_at, "revoked_reason": "复查发现存在违反中央八项规定精神问题",
         "revoked_at": now - timedelta(days=2),
         "history": [{"at": confirmed_at, "status": "confirmed"},
                     {"at": now - timedelta(days=2), "status": "revoked",
                      "reason": "复查发现存在违反中央八项规定精神问题"}]}])
    history = [{"at": now - timedelta(hours=24 - h), "ballots_cast": int(40 * h ** 1.1)} for h in range(1, 24)]
    db.rounds.replace_one({"_id": "seed-r1"}, {
        "_id": "seed-r1", "programme_id": PROGRAMME_ID, "name": "模范机关民主测评（第一轮）", "category_ids": ["organ"],
        "ballot_type": "approval", "eligible": 1600, "opens_at": now - timedelta(days=1), "closes_at": now,
        "counts_hidden": False, "state": "closed", "sequence": 23, "ballots_cast": history[-1]["ballots_cast"],
        "invalid": 12, "turnout_by_unit": {f"u{k}": round(0.55 + k * 0.035, 3) for k in range(len(UNITS))},
        "history": history, "updated_at": now}, upsert=True)
    return {"programme_id": PROGRAMME_ID, "nominees": nominees, "units": UNITS}
