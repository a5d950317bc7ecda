"""Signing a browser page in as a person does: by opening a sign-in link (minted as `exemplar signin-link` prints
it)."""
from __future__ import annotations

from shared.settings import Settings
from shared.signin_links import link_url, mint_link_token


def cli_link(base: str, settings: Settings, role: str, subject_id: str | None = None, name: str = "",
             programme_id: str | None = None, hours: float = 72, now: float | None = None) -> str:
    token, _ = mint_link_token(settings, role=role, subject_id=subject_id, name=name or (subject_id or role),
                               programme_id=programme_id, hours=hours, now=now)
    return link_url(base, token)


def sign_in(page, url: str, who: str) -> None:
    """Open a link and wait until the portal says who is signed in (e.g. "当前用户：市财政局（申报单位）")."""
    page.goto(url)
    page.get_by_text(who).wait_for()
