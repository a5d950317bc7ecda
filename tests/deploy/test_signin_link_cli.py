"""`exemplar signin-link`: prints a dashboard link whose token is a sign-in link of the asked role."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from typer.testing import CliRunner

from deploy.cli import app
from shared.settings import Settings
from shared.signin_links import read_link_token


def run(*args: str):
    return CliRunner().invoke(app, ["signin-link", *args], env={"EXEMPLAR_DASHBOARD_URL": "http://dash:9000"})


def test_organiser_link():
    out = run("organiser", "--name", "首位组织者", "--hours", "2")
    assert out.exit_code == 0, out.output
    url = urlparse(out.output.strip())
    assert (url.scheme, url.netloc, url.path) == ("http", "dash:9000", "/")
    claims = read_link_token(Settings(), parse_qs(url.query)["signin"][0])
    assert (claims.role, claims.subject_id, claims.name) == ("organiser", None, "首位组织者")


def test_unit_judge_member_need_their_id():
    for role, claim in (("unit", "unit_id"), ("judge", "judge_id"), ("member", "member_id")):
        assert run(role).exit_code == 2
        out = run(role, "x-1", "--base-url", "http://other/")
        assert out.exit_code == 0 and out.output.startswith("http://other/?signin="), out.output
        token = parse_qs(urlparse(out.output.strip()).query)["signin"][0]
        assert read_link_token(Settings(), token).subject_id == "x-1"
    assert run("nobody").exit_code == 2
    assert run("organiser", "--hours", "0").exit_code == 2
