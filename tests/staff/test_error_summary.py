"""Issue 19 on the server side: one error summary (every error at once, linked to its field,
"Error:" in the title), the code's error on the code field, the person search that says its
count only. The browser side: tests/browser/test_accessibility.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.test import Client
from tests.accounts.kit import PASSWORD, member
from tests.accounts.kit import code_for as code
from tests.staff.test_search import registry  # noqa: F401 - the fixture
from tests.staff.test_verification_page import reported, verification_form  # noqa: F401 - the fixture
from tests.support import World

from detente.access.policy import Role
from detente.agreements.models import Membership
from detente.web.error_summary import summary_items


class _Form(forms.Form):
    name = forms.CharField(label="Name")
    kinds = forms.MultipleChoiceField(
        label="Kinds", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("Nothing fits.")


def test_the_summary_lists_every_error_linked_to_its_field() -> None:
    form = _Form(data={})
    assert not form.is_valid()
    items = summary_items(form)
    assert [i["href"] for i in items] == ["", "#id_name", "#id_kinds_error", ""]
    assert items[0]["text"] == "Nothing fits."  # the form's own error first, no link
    assert items[1]["label"] == "Name" and items[3]["label"] == ""  # a hidden field: no name
    # What a view checked itself: field name to messages, or ready lines.
    assert summary_items({"email": ["Enter an email."]}) == [
        {"href": "#id_email", "label": "", "text": "Enter an email."}
    ]
    assert summary_items([{"href": "#f", "text": "T"}, "plain"]) == [
        {"href": "#f", "label": "", "text": "T"},
        {"href": "", "label": "", "text": "plain"},
    ]
    assert summary_items(_Form(), None, "", []) == []  # unbound, nothing: no box


def test_a_wrong_code_is_the_code_fields_error_and_the_summary_takes_the_focus(
    actor: User, clock: Any
) -> None:
    ana = member(actor, "ana", Role.ANALYST, now=clock.now)
    wrong = f"{(int(code(ana, clock.now)) + 1) % 1_000_000:06d}"
    page = Client().post("/staff/login/", {"username": "ana", "password": PASSWORD, "otp": wrong})
    html = page.content.decode()
    assert page.status_code == 200 and "<title>Error: Sign in · Detente</title>" in html
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    assert "autofocus" in summary and 'href="#id_otp"' in summary
    assert 'aria-invalid="true"' in re.search(r"<input[^>]*id=\"id_otp\"[^>]*>", html).group(0)  # type: ignore[union-attr]
    assert "autofocus" not in re.search(r"<input[^>]*id=\"id_username\"[^>]*>", html).group(0)  # type: ignore[union-attr]


def test_the_queue_asks_for_everything_at_once(
    reported: Membership,  # noqa: F811
    world: World,
    signed_in: Callable[..., Client],
) -> None:
    data = verification_form(reported, world, "confirm", source="", evidence_text="")
    response = signed_in("verifier").post(
        f"/staff/verification/{reported.pk}/confirm/", data, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    prefix = f"id_confirm-{reported.pk}-"
    # Both errors in the one answer (the evidence was asked for only once the rest was right).
    assert f'href="#{prefix}source"' in html and f'href="#{prefix}evidence_text"' in html
    assert "Say how the release was confirmed." in html
    assert "data-error-summary" in html and "autofocus" in html


def test_the_outcome_of_a_queue_decision_is_marked_for_the_focus(
    reported: Membership,  # noqa: F811
    world: World,
    signed_in: Callable[..., Client],
) -> None:
    verifier = signed_in("verifier")
    response = verifier.post(
        f"/staff/verification/{reported.pk}/confirm/",
        verification_form(reported, world, "confirm"),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert re.search(r'<p class="done" tabindex="-1" data-outcome>[^<]*release confirmed', html)
    page = verifier.get("/staff/verification/").content.decode()
    assert '<p id="announcer" class="visually-hidden" role="status"></p>' in page


def test_the_search_says_its_count_and_the_title_follows_it_without_the_name(
    registry: Any,  # noqa: F811
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in("verifier")
    page = client.get("/staff/people/").content.decode()
    assert '<div id="results">' in page and "aria-live" not in page.split('id="results"')[1][:40]
    assert '<p id="search-status" class="visually-hidden" role="status"></p>' in page
    partial = client.post(
        "/staff/people/", {"q": "pepe"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    title = re.search(r"<title>(.*)</title>", partial).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"\d+ (person|people) found · People · Detente", title), title
    status = re.search(r'<p id="search-status" hx-swap-oob="innerHTML">([^<]*)</p>', partial)
    assert status and re.fullmatch(r"\d+ (person|people) found, best match first\.", status[1])
    full = client.post("/staff/people/", {"q": "pepe"}).content.decode()
    assert re.search(r"<title>\d+ (person|people) found · People · Detente</title>", full)
    nobody = client.post(
        "/staff/people/", {"q": "zzqx"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    assert "<title>No one found · People · Detente</title>" in nobody and "zzqx" not in (
        re.search(r"<title>(.*)</title>", nobody).group(1)  # type: ignore[union-attr]
    )
