"""Voting's settings: the same environment variables and defaults as ever, and a bad value stops the start-up."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.voting.app import create_service
from services.voting.config import LOCAL_BALLOT_SECRET, VotingConfig
from shared.settings import Settings

ENV = {
    "EXEMPLAR_BALLOT_SECRET": ("ballot_secret", "s3cret", b"s3cret"),
    "EXEMPLAR_VOTING_RATE_PER_CREDENTIAL": ("rate_per_credential", "7", 7),
    "EXEMPLAR_VOTING_RATE_PER_ADDRESS": ("rate_per_address", "99", 99),
    "EXEMPLAR_VOTING_BURST_MIN": ("burst_min_ballots", "3", 3),
    "EXEMPLAR_VOTING_BURST_SHARE": ("burst_share", "0.25", 0.25),
    "EXEMPLAR_VOTING_BATCH": ("batch_max_records", "100", 100),
    "EXEMPLAR_VOTING_BATCH_TIMEOUT_MS": ("batch_timeout_ms", "50", 50),
    "EXEMPLAR_VOTING_TALLY_EVENTS_PER_S": ("tally_events_per_second", "2.5", 2.5),
    "EXEMPLAR_VOTING_TALLY_EVENTS_BURST": ("tally_events_burst", "9", 9),
    "EXEMPLAR_VOTING_CAST_WAIT": ("cast_wait_seconds", "1.5", 1.5),
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    cfg = VotingConfig()
    assert cfg.ballot_secret == LOCAL_BALLOT_SECRET.encode()
    assert (cfg.rate_per_credential, cfg.rate_per_address, cfg.burst_min_ballots,
            cfg.burst_share) == (10, 12000, 20, 0.5)
    assert (cfg.batch_max_records, cfg.batch_timeout_ms) == (5000, 10)
    assert (cfg.tally_events_per_second, cfg.tally_events_burst, cfg.cast_wait_seconds) == (4.0, 5, 10.0)


@pytest.mark.parametrize("name", sorted(ENV))
def test_each_variable_is_read(clean_env, name):
    field, raw, value = ENV[name]
    clean_env.setenv(name, raw)
    assert getattr(VotingConfig(), field) == value


@pytest.mark.parametrize("name, raw", [
    ("EXEMPLAR_VOTING_RATE_PER_CREDENTIAL", "ten"),
    ("EXEMPLAR_VOTING_RATE_PER_ADDRESS", "-1"),
    ("EXEMPLAR_VOTING_BURST_SHARE", "half"),
    ("EXEMPLAR_VOTING_BATCH", "0"),
    ("EXEMPLAR_VOTING_BATCH_TIMEOUT_MS", "1.5"),
    ("EXEMPLAR_VOTING_CAST_WAIT", "soon"),
    ("EXEMPLAR_BALLOT_SECRET", ""),
])
def test_a_bad_value_is_an_error_naming_the_variable(clean_env, name, raw):
    clean_env.setenv(name, raw)
    with pytest.raises(ValidationError) as err:
        VotingConfig()
    assert name in str(err.value)


def test_a_bad_value_stops_the_service_at_start_up(clean_env):
    clean_env.setenv("EXEMPLAR_VOTING_BATCH", "lots")
    with pytest.raises(ValidationError, match="EXEMPLAR_VOTING_BATCH"):
        create_service(Settings())


def test_keyword_overrides_win_and_the_secret_stays_out_of_the_repr(clean_env):
    clean_env.setenv("EXEMPLAR_VOTING_RATE_PER_CREDENTIAL", "7")
    cfg = VotingConfig(rate_per_credential=4, burst_share=0.1, ballot_secret=b"k")
    assert (cfg.rate_per_credential, cfg.burst_share, cfg.ballot_secret) == (4, 0.1, b"k")
    assert "k'" not in repr(cfg) and "ballot_secret" not in repr(cfg)


def test_production_refuses_the_local_ballot_secret(clean_env):
    with pytest.raises(RuntimeError, match="EXEMPLAR_BALLOT_SECRET"):
        create_service(Settings(env="production", auth_secret="x" * 40))
