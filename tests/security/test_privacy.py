"""Personal data stays private: an objector's name and contacts never reach a public page, an event, the leaderboard
read model or a log line; the organiser's list shows no contacts either (only the sealed contact endpoint does)."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared.contracts import topics
from tests.security.common import factory
from tests.support import auth, read_topic, running

pytestmark = pytest.mark.conformance
if factory("publicity") is None:
    pytest.skip("services.publicity has no create_service yet", allow_module_level=True)

from tests.publicity.helpers import CAT, PID, Clock, feed, objection_form  # noqa: E402

NAME, PHONE, EMAIL = "欧阳秘密", "13912345678", "secret.objector@example.cn"


def sh(*a) -> datetime:
    return datetime(*a, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_objector_contacts_never_leave_the_sealed_store(settings, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = settings.model_copy(update={"log_level": "DEBUG"})
    clock = Clock(sh(2025, 9, 26, 8, 0))
    org = auth(cfg, "organiser")

    def create(s):
        return factory("publicity")(s, clock=clock, tick_seconds=0.2, objection_rate=(600, 100))

    async with running(create, cfg) as (svc, http):
        await feed(cfg, svc)
        body = {"programme_id": PID, "category_id": CAT, "working_days": 5,
                "starts_at": sh(2025, 9, 26, 9).isoformat(), "contact_phone": "0571-87654321"}
        r = await http.post("/notices", json=body, headers=org)
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        clock.t = sh(2025, 9, 29, 10)
        r = await http.post(f"/notices/{nid}/objections",
                            data=objection_form("nom-b", name=NAME, phone=PHONE, email=EMAIL))
        assert r.status_code == 201, r.text
        tracking = r.json()["tracking_no"]
        oid = (await http.get("/objections", headers=org)).json()
        public = [await http.get("/notices"), await http.get(f"/notices/{nid}"), await http.get("/honours"),
                  await http.get(f"/objections/status/{tracking}"), await http.get(f"/notices/{nid}/download/docx"),
                  await http.get(f"/notices/{nid}/download/xlsx")]
        organiser_list = json.dumps(oid, ensure_ascii=False)
        events = b"\n".join(await read_topic(cfg, topics.PUBLICITY, min_count=2, timeout=10)).decode()
        # the sealed contact is there for the organiser, and only there
        items = oid["objections"]
        contact = await http.get(f"/objections/{items[0]['objection_id']}/contact", headers=org)
        assert contact.status_code == 200 and PHONE in contact.text
        assert (await http.get(f"/objections/{items[0]['objection_id']}/contact")).status_code == 401
    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    for secret in (NAME, PHONE, EMAIL):
        for r in public:
            assert r.status_code == 200, (r.request.url, r.status_code)
            assert secret not in r.text and secret.encode() not in r.content, (secret, r.request.url)
        assert secret not in organiser_list, secret
        assert secret not in events, secret
        assert secret not in logs, secret
