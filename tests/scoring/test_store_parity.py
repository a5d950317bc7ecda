"""The in-memory store answers like the MongoDB store where the actions rely on it: duplicate ids and the panel's
unique index, upserts that merge, pushes, sequences, claims, orders. One script, run on both, same answers."""
from __future__ import annotations

from services.scoring.store import MongoScoringStore
from shared.mongo import connect
from tests.scoring.fakes import InMemoryScoringStore

P = "p1"


def only(docs: list[dict], *keys: str) -> list[dict]:
    return [{k: d.get(k) for k in ("_id", *keys)} for d in docs]


async def learned_part(store) -> list:
    await store.save_programme(P, {"programme_id": P, "version": 2, "categories": [{"category_id": "c"}]})
    await store.save_units(P, [{"_id": f"{P}/u1", "programme_id": P, "unit_id": "u1", "parent_id": None},
                               {"_id": f"{P}/u2", "programme_id": P, "unit_id": "u2", "parent_id": "u1"}])
    # the same unit ids in another programme: another tree
    await store.save_units("other", [{"_id": "other/u2", "programme_id": "other", "unit_id": "u2",
                                      "parent_id": None}, {"_id": "other/u3", "programme_id": "other",
                                                           "unit_id": "u3", "parent_id": "u2"}])
    await store.save_members(P, [{"_id": f"{P}/m1", "programme_id": P, "member_id": "m1", "unit_id": "u2"}])
    for nid, status, cat in (("n2", "approved", "c"), ("n1", "approved", "c"), ("n3", "submitted", "c"),
                             ("n4", "approved", "d")):
        await store.save_nomination(nid, {"programme_id": P, "category_id": cat, "status": status})
    return [await store.programme_version(P), await store.parents(P), await store.parents("other"),
            await store.unit_exists(P, "u2"), await store.unit_exists(P, "u3"), await store.unit_exists(P, "u9"),
            await store.member(P, "m1"), await store.member("other", "m1"), await store.nomination("n1", "other"),
            (await store.nomination("n1", P))["status"],
            sorted(n["_id"] for n in await store.approved_nominations(P, "c")),
            sorted(await store.nomination_categories(["n1", "n4", "n9"]))]


async def judges_and_panels(store) -> list:
    def j(pid, jid, **more):
        return {"_id": f"{pid}/{jid}", "judge_id": jid, "programme_id": pid, **more}

    out = [await store.insert_judge(j(P, "j1", unit_id="u1", member_id="m1")),
           await store.insert_judge(j(P, "j1", unit_id="u2")),
           await store.insert_judge(j("other", "j2", unit_id="u2")),
           await store.insert_judge(j("other", "j1", unit_id="u3", member_id="m1"))]
    await store.set_judge_branch(P, "j1", "u2")
    out += [await store.judge(P, "j1"), await store.judge(P, "j2"), await store.judge("other", "j1"),
            await store.registered_judge_ids(P, ["j1", "j2", "j9"]),
            only(await store.judges_of_members(P, ["m1"]), "judge_id", "member_id"),
            sorted(x["_id"] for x in await store.all_judges("other"))]

    def p(pid, panel_id, cat, judge_ids):
        return {"_id": f"{pid}/{panel_id}", "panel_id": panel_id, "programme_id": pid, "category_id": cat,
                "judge_ids": judge_ids}

    out += [await store.insert_panel(p(P, "p1", "c", ["j1"])), await store.insert_panel(p(P, "p2", "c", [])),
            await store.insert_panel(p(P, "p1", "d", [])), await store.insert_panel(p(P, "p3", "d", [])),
            await store.insert_panel(p("other", "p1", "c", []))]
    await store.add_panel_judges(P, "p1", ["j2", "j1", "j3"])
    await store.update_panel(P, "p1", {"locked": True})
    out += [await store.panel(P, "p1"), await store.panel("other", "p1"), await store.panel("other", "p3")]
    return out


async def assignments_and_scores(store) -> list:
    for nid, jid, recused in (("n2", "j1", False), ("n1", "j2", True), ("n1", "j1", False)):
        assert await store.insert_assignment({"_id": f"{nid}:{jid}", "programme_id": P, "category_id": "c",
                                              "panel_id": "p1", "nomination_id": nid, "judge_id": jid,
                                              "recused": recused})
    out = [await store.insert_assignment({"_id": "n1:j1", "programme_id": P, "category_id": "c", "panel_id": "p1",
                                          "nomination_id": "n1", "judge_id": "j1", "recused": False})]
    await store.update_assignment("n1:j1", {"recused": True, "rule": "own_unit"})
    out += [[a["_id"] for a in await store.assignments_of_panel(P, "p1")],
            await store.assignments_of_panel("other", "p1"),
            [a["_id"] for a in await store.assignments_of_nomination("n1")],
            sorted(a["_id"] for a in await store.active_assignments(P, "c")),
            sorted(a["_id"] for a in await store.all_active_assignments(P)), await store.all_active_assignments("x")]
    for value, revision in ((10, 1), (12, 2)):
        await store.save_score("n1:j1:c1", {"programme_id": P, "category_id": "c", "score": value,
                                            "revision": revision}, {"score": value, "revision": revision})
    out += [await store.score("n1:j1:c1"), await store.count_scores(["n1:j1:c1", "n1:j1:c2"]),
            only(await store.category_scores(P, "c"), "score")]
    return out


async def indicators_tallies_standings(store) -> list:
    await store.save_indicators("n1", {"programme_id": P, "category_id": "c", "basic": {"points": 1}})
    await store.save_indicators("n1", {"programme_id": P, "category_id": "c", "business": {"points": 2}})
    await store.save_spot_draw("k", {"seed": "a", "picks": [1]})
    await store.save_spot_result("k", "n1|t1", {"passed": True})
    await store.save_spot_draw("k", {"seed": "b", "picks": [2]})
    await store.save_spot_result("none", "n1|t1", {"passed": True})
    for rid, at in (("r2", 1), ("r1", 1), ("r0", 5)):
        await store.save_tally(P, rid, {"round_id": rid, "sequence": 3, "programme_id": P, "updated_at": at,
                                        "candidates": [rid]})
    await store.save_tally("other", "r1", {"round_id": "r1", "sequence": 9, "programme_id": "other",
                                           "updated_at": 0, "candidates": []})
    for pid, rid, at, cats in ((P, "r2", 2, ["c"]), (P, "r1", 1, ["c", "d"]), ("other", "r1", 0, ["c"])):
        await store.save_round(pid, rid, {"programme_id": pid, "round_id": rid, "opened_at": at, "category_ids": cats,
                                          "feeds_peer_vote": True})
    await store.save_publication(P, "c", {"programme_id": P, "category_id": "c", "notice_id": "x"})
    await store.save_publication(P, "c", {"programme_id": P, "category_id": "c", "notice_id": "y"})
    standings = [await store.save_standings("k", {"standings": [i]}) for i in (1, 2)]
    return [await store.indicators("n1"), only(await store.category_indicators(P, "c"), "basic", "business"),
            await store.spot_checks("k"), await store.spot_checks("none"),
            await store.tally_sequence(P, "r1"), await store.tally_sequence(P, "r9"),
            await store.tally_sequence("other", "r1"),
            only(await store.programme_tallies(P), "round_id", "candidates", "updated_at"),
            only(await store.category_rounds(P, "c"), "round_id", "opened_at"),
            only(await store.category_rounds(P, "d"), "round_id"), await store.publication(P, "c"),
            await store.publication(P, "d"), await store.published_categories(P),
            await store.published_categories("other"),
            standings, await store.standings("k")]


async def marks_claims_arenas(store) -> list:
    await store.mark_dirty(P, "c", 1.0)
    await store.mark_dirty(P, "d", 2.0)
    marks = await store.dirty_marks()
    await store.delete_marks([m["_id"] for m in marks if m["category_id"] == "c"])
    out = [sorted((m["category_id"], m["at"]) for m in marks), [m["category_id"] for m in await store.dirty_marks()]]
    out += [await store.claim("k", 10, 20), await store.claim("k", 15, 25), await store.claim("k", 21, 30)]
    await store.release("k")
    out += [await store.claim("k", 22, 40)]
    out += [await store.insert_arena({"_id": "a1", "sequence": 0, "status": "open"}),
            await store.insert_arena({"_id": "a1", "sequence": 0, "status": "open"}),
            await store.bump_arena("a1", None), await store.bump_arena("a1", {"status": "closed"})]
    for score in (5, 6):
        await store.save_arena_score("a1:r1:c1:j1", {"arena_id": "a1", "score": score}, {"score": score})
    out += [await store.arena_score("a1:r1:c1:j1"), await store.arena_scores("a1"), await store.arena("a9")]
    return out


SCRIPT = (learned_part, judges_and_panels, assignments_and_scores, indicators_tallies_standings,
          marks_claims_arenas)


async def test_the_fake_answers_like_mongodb(settings):
    client = connect(settings.mongo_url)
    try:
        mongo = MongoScoringStore(client[settings.database_name("scoring")])
        await mongo.ensure_indexes()
        fake = InMemoryScoringStore()
        for step in SCRIPT:
            assert await step(fake) == await step(mongo), step.__name__
    finally:
        await client.close()
