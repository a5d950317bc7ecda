"""The nominations service's settings: a bad value in the environment stops the start, naming the variable."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.nominations.app import create_service
from services.nominations.config import NominationsSettings, settings_for


def test_a_bad_value_is_a_start_up_error(monkeypatch):
    monkeypatch.setenv("EXEMPLAR_KAFKA_PARTITIONS", "many")
    with pytest.raises(ValidationError) as caught:
        create_service()
    assert "kafka_partitions" in str(caught.value)


def test_the_environment_is_read_when_no_settings_are_given(monkeypatch):
    monkeypatch.setenv("EXEMPLAR_HTTP_PORT", "8111")
    assert isinstance(settings_for(None), NominationsSettings) and settings_for(None).http_port == 8111
    given = NominationsSettings(http_port=8101)
    assert settings_for(given) is given
