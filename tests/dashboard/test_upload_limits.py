"""The limits an upload form states are the limits the service applies: a file the form lets through is not
refused later for its size, number or kind, and the form does not refuse what the service would take."""
from __future__ import annotations

from dashboard.views import public, unit_calls
from services.nominations import domain as nominations
from services.publicity.domain import objections

MB = 1024 * 1024


def test_the_objection_form_states_publicity_s_limits():
    assert public.OBJECTION_MAX_FILES == objections.MAX_ATTACHMENTS
    assert public.OBJECTION_MAX_MB * MB == objections.MAX_ATTACHMENT_BYTES
    assert sorted(public.OBJECTION_FILE_TYPES) == sorted(objections.ATTACHMENT_TYPES)


def test_the_unit_form_states_the_nominations_limits():
    assert unit_calls.MAX_FILES == nominations.MAX_ATTACHMENTS
    assert unit_calls.MAX_FILE_MB * MB == nominations.MAX_ATTACHMENT_BYTES
    assert sorted(unit_calls.FILE_TYPES) == sorted(ext.lstrip(".") for ext in nominations.ATTACHMENT_TYPES)
