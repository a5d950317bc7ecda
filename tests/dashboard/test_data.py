"""Unit tests of the dashboard's pure read-model shaping and its translations (no Streamlit, no servers)."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from dashboard import data, i18n, refusals
from shared.auth import issue_token
from shared.settings import Settings

PROGRAMME = {"_id": "p1", "name": "2026年度创先争优", "year": 2026, "categories": [
    {"category_id": "member", "name": "四好优秀党员", "board": "excellent_member", "quota": 10},
    {"category_id": "branch", "name": "先锋红旗党支部", "board": "red_flag_branch", "quota": 5},
    {"category_id": "organ", "name": "模范机关", "board": "model_organ", "quota": 3},
    {"category_id": "team", "name": "先锋服务队", "board": "service_team", "quota": 4},
]}


def entry(i: int, rank: int | None, composite: float | None = None, **more) -> dict:
    e = {"_id": f"n{i:04d}", "programme_id": "p1", "category_id": "organ", "nominee_name": f"单位{i}",
         "unit_name": f"上级{i % 7}", "unit_id": f"u{i % 7}", "status": "approved", "rank": rank,
         "composite": composite,
         "components": [
             {"component": "peer_vote", "raw": 0.8, "normalised": 80.0, "weight": 0.2, "contribution": 16.0,
              "detail": "approvals 80 of 100"},
             {"component": "basic", "raw": 27.0, "normalised": 90.0, "weight": 0.3, "contribution": 27.0, "detail": ""},
         ] if rank else []}
    e.update(more)
    return e


def test_featured_boards_come_first_then_programme_order():
    ids = [c["category_id"] for c in data.ordered_categories(PROGRAMME)]
    assert ids == ["organ", "branch", "team", "member"]


def test_rows_sorted_by_rank_with_unranked_last_and_components_in_order():
    rows = [entry(3, None), entry(2, 2, 80.5), entry(1, 1, 91.234, vote={"approvals": 12})]
    table = data.leaderboard_rows(rows, "zh")
    assert [r["id"] for r in table] == ["n0001", "n0002", "n0003"]
    first = table[0]
    assert first["名次"] == 1 and first["综合得分"] == 91.23 and first["测评得票"] == 12
    assert list(first)[4:6] == ["基础指标", "民主测评"]  # the seed plan's order, not the document's
    assert first["状态"] == "审查通过"
    en = data.leaderboard_rows(rows, "en")
    assert en[0]["Status"] == "approved" and "Peer ballots" in en[0]


def test_search_filters_by_name_or_unit():
    rows = [entry(1, 1, 90.0), entry(2, 2, 80.0, unit_name="市财政局")]
    assert [r["id"] for r in data.leaderboard_rows(rows, "zh", "财政")] == ["n0002"]
    assert [r["id"] for r in data.leaderboard_rows(rows, "zh", "单位1")] == ["n0001"]


def test_explanation_has_raw_normalised_weight_contribution():
    rows = data.explanation_rows(entry(1, 1, 43.0), "en")
    assert rows[0] == {"Component": "Peer ballots", "Raw value": "0.80", "Normalised": "80.00", "Weight": "0.20",
                       "Contribution": "16.00", "Detail": "approvals 80 of 100"}
    none_raw = data.explanation_rows({"components": [{"component": "report", "raw": None, "normalised": 0,
                                                      "weight": 0.1, "contribution": 0}]}, "zh")
    assert none_raw[0]["原始值"] == "—" and none_raw[0]["构成项"] == "述职评议"


def test_open_objections_shown_in_status():
    table = data.leaderboard_rows([entry(1, 1, 90.0, status="in_publicity", open_objections=1)], "zh")
    assert table[0]["状态"] == "公示中 (未结异议 1)"


def test_featured_summary_lists_leaders_of_model_organs_and_red_flag_branches():
    rows = [entry(i, i, 100.0 - i) for i in range(1, 6)] + [entry(9, 1, 70.0, category_id="branch")]
    summary = data.featured_summary(PROGRAMME, rows)
    assert [s["category"]["category_id"] for s in summary] == ["organ", "branch"]
    assert [e["_id"] for e in summary[0]["leaders"]] == ["n0001", "n0002", "n0003"]


def test_arena_view_orders_by_rank_and_keeps_frozen_flag():
    doc = {"_id": "a1", "name": "擂台赛", "frozen": True, "frozen_from": "r3", "rounds": ["第一轮", "第二轮"],
           "live_weight": 0.6, "rows": [
               {"contestant_id": "c2", "name": "乙", "order": 2, "rank": None, "final": None, "live_total": None,
                "prior": 80.0, "rounds": []},
               {"contestant_id": "c1", "name": "甲", "order": 1, "rank": 1, "final": 88.5, "live_total": 17.5,
                "prior": 90.0, "rounds": [{"name": "第一轮", "score": 9.0}, {"name": "第二轮", "score": 8.5}]}]}
    view = data.arena_view(doc)
    assert view["frozen"] and [r["name"] for r in view["rows"]] == ["甲", "乙"]
    table = data.arena_table(view, "zh")
    assert table[0] == {"名次": 1, "选手": "甲", "第一轮": "9.00", "第二轮": "8.50", "现场总分": "17.50",
                        "前期考核": "90.00", "最终得分": "88.50"}
    assert table[1]["名次"] == "—" and table[1]["第一轮"] == "—"


def test_honour_cards_put_revoked_last_with_reason():
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    docs = [{"_id": "h1", "title": "模范机关", "nominee_name": "甲局", "status": "revoked", "revoked_reason": "违纪",
             "confirmed_at": at, "revoked_at": at + timedelta(days=3),
             "history": [{"at": at, "status": "confirmed"}, {"at": at, "status": "revoked", "reason": "违纪"}],
             "reviews": {"rv1": {"due_date": "2027-05-01", "outcome": None}}},
            {"_id": "h2", "title": "模范机关", "nominee_name": "乙局", "status": "confirmed", "confirmed_at": at}]
    cards = data.honour_cards(docs, "zh")
    assert [c["id"] for c in cards] == ["h2", "h1"]
    assert cards[1]["revoked"] and cards[1]["reason"] == "违纪"
    assert cards[1]["history"][1] == "2026年11月1日 10:00 已撤销：违纪"
    assert cards[1]["reviews"] == ["复查 2027年5月1日：待复查"]
    assert data.honour_cards(docs, "en")[1]["history"][1] == "2026-11-01 10:00 revoked: 违纪"


def test_turnout_and_history_points():
    rnd = {"eligible": 200, "ballots_cast": 150, "invalid": 2, "turnout_by_unit": {"u1": 0.5, "u2": 0.9},
           "history": [{"at": datetime(2026, 11, 29, 1, 0, tzinfo=UTC), "ballots_cast": 10}]}
    assert data.round_summary(rnd) == {"eligible": 200, "cast": 150, "invalid": 2, "turnout": 0.75, "hidden": False}
    assert data.turnout_by_unit(rnd, {"u1": "财政局"}) == [{"unit": "u2", "parent": "", "turnout": 0.9},
                                                          {"unit": "财政局", "parent": "", "turnout": 0.5}]
    assert data.history_points(rnd)[0]["at"] == datetime(2026, 11, 29, 9, 0)
    assert data.round_summary({"eligible": 0})["turnout"] is None


def test_dates_are_shown_in_shanghai_and_numbers_grouped():
    t = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 next day in Shanghai
    assert i18n.fmt_dt(t, "zh") == "2027年1月1日 01:30"
    assert i18n.fmt_dt(t.replace(tzinfo=None), "en") == "2027-01-01 01:30"  # naive means UTC
    assert i18n.fmt_dt("2026-12-31T17:30:00Z", "en", seconds=True) == "2027-01-01 01:30:00"
    assert i18n.fmt_date("2027-05-01", "zh") == "2027年5月1日"
    assert i18n.fmt_num(1234567) == "1,234,567" and i18n.fmt_num(1234.5) == "1,234.50"
    assert i18n.fmt_pct(0.756) == "75.6%" and i18n.fmt_num(None) == "—"


def test_every_key_used_in_the_dashboard_is_translated():
    root = Path(data.__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"""\btr\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
        used |= set(re.findall(r"""i18n\.t\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    assert used, "no keys found"
    missing = sorted(k for k in used if k not in i18n.STRINGS)
    assert not missing, missing
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_token_claims_read_without_verification_and_expiry():
    token = issue_token(Settings(auth_secret="another-secret-value-for-tests-0123456789"), role="member",
                        subject="m1", member_id="m1", name="张三")
    claims = data.token_claims("Bearer " + token)
    assert claims["role"] == "member" and claims["name"] == "张三" and not data.token_expired(claims)
    assert data.token_expired({"exp": time.time() - 1})
    with pytest.raises(ValueError):
        data.token_claims(jwt.encode({"role": "admin"}, "k" * 32, algorithm="HS256"))
    with pytest.raises(jwt.PyJWTError):
        data.token_claims("not a token")


def test_service_errors_are_worded_never_shown_as_the_service_wrote_them():
    assert refusals.summary(409, {"error": {"code": "conflict", "message": "already voted", "field": None}}, "zh") \
        == "与当前状态不符，未执行。"
    assert refusals.summary(422, {"error": {"code": "invalid", "message": "too short", "field": "reason"}}, "en") \
        == "Reason: the value is not accepted."
    assert refusals.summary(502, "Bad gateway", "zh") == "操作未成功，请稍后再试。"
    assert refusals.summary(500, None, "en") == "It did not go through; try again later."


def test_config_defaults_and_environment():
    cfg = data.config_from_env({})
    assert cfg.database == "exemplar_leaderboard" and cfg.urls["publicity"] == "http://127.0.0.1:8104"
    cfg = data.config_from_env({"EXEMPLAR_DB_PREFIX": "x", "EXEMPLAR_VOTING_URL": "http://v:1"})
    assert cfg.database == "x_leaderboard" and cfg.urls["voting"] == "http://v:1"


def test_page_data_for_500_nominees_is_built_fast():
    rows = [entry(i, i, 100.0 - i * 0.1, vote={"approvals": i}) for i in range(1, 501)]
    started = time.perf_counter()
    table = data.leaderboard_rows(rows, "zh")
    explain = data.explanation_rows(rows[0], "zh")
    summary = data.featured_summary(PROGRAMME, rows)
    elapsed = time.perf_counter() - started
    assert len(table) == 500 and explain and summary
    assert elapsed < 0.2, elapsed


def test_markdown_table_escapes_pipes_and_keeps_columns():
    text = data.markdown_table([{"名次": 1, "选手": "甲|乙"}, {"名次": None, "选手": "丙"}])
    assert text.splitlines() == ["| 名次 | 选手 |", "|---|---|", "| 1 | 甲\\|乙 |", "| — | 丙 |"]
    assert data.markdown_table([]) == ""


def test_a_published_category_says_its_list_is_frozen_and_when():
    cat = {"category_id": "c1", "published": True, "notice_id": "x1",
           "published_at": datetime(2026, 3, 1, 17, 0, tzinfo=UTC)}  # 2026-03-02 01:00 in Shanghai
    assert data.published_line(cat, "zh") == "公示名单（已冻结，2026年3月2日 发布）"
    assert data.published_line(cat, "en") == "Published notice list (frozen, published 2026-03-02)"
    assert data.published_line(None, "zh") == "" and data.published_line({"published": False}) == ""

    class Categories:
        def find(self, query):
            assert query == {"programme_id": "p1", "published": True}
            return [cat]

    assert data.published(type("Db", (), {"categories": Categories()})(), "p1") == {"c1": cat}
