"""The agreement briefing (issue 14, point 3): the agreement page printed as a PDF, with
the names its viewer may see, the figures as of the moment it was printed, the chart and
the method note; the same from the site, the API and the command line; recorded as seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from tests.support import World, make_user
from tests.web import test_open_data

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.web import briefing, views

# The open-data tests' world: one public agreement ("deal"), one for staff only ("closed").
public = test_open_data.public
api_client, disclose = test_open_data.api_client, test_open_data.disclose


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTML each briefing was made from (the PDF's text is glyph codes, not words),
    while the real PDF is still made."""
    pages: list[str] = []
    real = views.render_pdf

    def keep(html: str, base_url: str) -> bytes:
        pages.append(html)
        return real(html, base_url)

    monkeypatch.setattr(views, "render_pdf", keep)
    return pages


def _is_pdf(body: bytes) -> bool:
    return body.startswith(b"%PDF-") and b"%%EOF" in body[-64:]


def test_the_public_briefing_is_the_public_page_printed(
    client: Client, public: World, printed: list[str]
) -> None:
    named, legislature_only, _unnamed = public.people
    disclose("public", [named])
    disclose("legislature", [legislature_only])
    answer = client.get("/agreements/deal/briefing.pdf")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert "deal-briefing-" in answer["Content-Disposition"]
    assert _is_pdf(answer.content)
    (html,) = printed
    # The figures of the page, the moment it was printed, the chart and the method note.
    page = client.get("/agreements/deal/").content.decode()
    for figure in (
        "<dt>Claimed released</dt><dd>2</dd>",
        "<dt>Independently confirmed</dt><dd>1</dd>",
    ):
        assert figure in page and figure in html
    assert "Briefing printed" in html and "(UTC)" in html
    assert "<svg" in html and "How these figures are made" in html
    assert "/methods/" in html
    # Only the name the public may see.
    assert "Yoandri 0" in html
    assert "Yoandri 1" not in html and "Yoandri 2" not in html
    # The page offers it; the briefing does not offer itself.
    assert "/agreements/deal/briefing.pdf" in page
    assert "Briefing to print (PDF)" not in html


def test_a_legislator_s_briefing_marks_the_names_not_public(
    public: World, printed: list[str]
) -> None:
    named, legislature_only, _unnamed = public.people
    disclose("public", [named])
    disclose("legislature", [legislature_only])
    legislator = make_user("committee", Role.LEGISLATURE)
    client = Client()
    client.force_login(legislator)
    answer = client.get("/agreements/deal/briefing.pdf")
    assert answer.status_code == 200 and _is_pdf(answer.content)
    assert "no-store" in answer["Cache-Control"]
    (html,) = printed
    assert "Yoandri 0" in html and "Yoandri 1" in html and "Yoandri 2" not in html
    assert "not public" in html
    # Recorded: who printed which names.
    entry = AuditEntry.objects.filter(action="agreement.briefing").latest("position")
    assert entry.actor_id == legislator.pk
    assert legislature_only.handle in str(entry.payload)


def test_a_hidden_agreement_has_no_briefing(client: Client, public: World) -> None:
    assert client.get("/agreements/closed/briefing.pdf").status_code == 404
    assert client.get("/agreements/no-such/briefing.pdf").status_code == 404


def test_the_api_and_the_command_line_print_the_same_briefing(
    public: World, printed: list[str], tmp_path: Path
) -> None:
    named, _other, _unnamed = public.people
    disclose("public", [named])
    api, headers = api_client(None)
    answer = api.get("/api/agreements/deal/briefing.pdf", **headers)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert _is_pdf(answer.content)
    assert api.get("/api/agreements/closed/briefing.pdf", **headers).status_code == 404
    out = tmp_path / "b.pdf"
    with (tmp_path / "log").open("w") as log:
        call_command("agreement", "briefing", "deal", "--output", str(out), "--as", "anonymous",
                     "--language", "es", stdout=log)  # fmt: skip
    assert _is_pdf(out.read_bytes())
    api_html, cli_html = printed
    assert "Yoandri 0" in api_html and "Yoandri 0" in cli_html
    assert "Cómo se hacen estas cifras" in cli_html or 'lang="es"' in cli_html


def test_the_briefing_reads_only_the_site_s_own_files() -> None:
    assert briefing._static_file("/static/web/site.css") is not None
    for url in ("https://elsewhere.example/x.css", "/static/../settings.py", "/static/"):
        assert briefing._static_file(url) is None, url
    # A page asking for anything else still prints (the request is refused, not made).
    html = '<link rel="stylesheet" href="https://elsewhere.example/x.css"><p>Hola</p>'
    assert _is_pdf(briefing.render_pdf(html, "http://127.0.0.1:8000/"))
