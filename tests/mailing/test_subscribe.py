"""Signing up (issue 6, item 2) and the consent record (item 3), through the public pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone
from tests.mailing.conftest import Lists, form_notice, links_in

from detente.mailing import services, tokens
from detente.mailing.models import Consent, Subscriber, Subscription
from detente.mailing.notice import notice_text


@pytest.fixture
def client() -> Client:
    return Client()


def post_form(client: Client, capture: Any, **fields: Any) -> Any:
    data = {"email": "", "language": "en", "notice": form_notice("en"), **fields}
    with capture(execute=True):
        return client.post("/updates/", data)


def confirm_path() -> str:
    (message,) = mail.outbox
    (path,) = links_in(message.body)
    assert path.startswith("/updates/confirm/")
    return str(path)


# --- "select at least one mailing list" ------------------------------------------------


def test_no_list_chosen_stores_and_sends_nothing(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_form(client, django_capture_on_commit_callbacks, email="ana@example.org")
    assert response.status_code == 400
    assert "Select at least one mailing list." in response.content.decode()
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    assert mail.outbox == []


def test_every_mistake_is_named_at_once_not_one_per_try(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_form(client, django_capture_on_commit_callbacks, email="not an address")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select at least one mailing list." in page and "is not an email address" in page
    # Both in the summary at the top, each a link to its field.
    summary = page.split('class="error-summary', 1)[1].split("</div>", 1)[0]
    assert summary.count("<a href=") == 2
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_no_list_chosen_is_refused_in_spanish_too(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.cookies["django_language"] = "es"
    response = post_form(
        client,
        django_capture_on_commit_callbacks,
        email="ana@example.org",
        language="es",
        notice=form_notice("es"),
    )
    assert "Seleccione al menos una lista de correo." in response.content.decode()
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_the_form_offers_only_public_lists_about_public_agreements(
    lists: Lists, client: Client
) -> None:
    from detente.access.services import agreement_set_audience

    services.list_update(actor=lists.world.actor, mailing_list=lists.everything, public=False)
    page = client.get("/updates/").content.decode()
    assert f'value="{lists.deal.pk}"' in page and f'value="{lists.everything.pk}"' not in page
    agreement_set_audience(
        actor=lists.world.actor, agreement=lists.world.agreement, audience="legislature"
    )
    page = client.get("/updates/").content.decode()
    assert "Test agreement" not in page
    assert f'value="{lists.deal.pk}"' not in page


# --- Double opt-in --------------------------------------------------------------------


def test_sign_up_is_pending_until_the_emailed_link_is_confirmed(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_form(
        client, django_capture_on_commit_callbacks, email="Ana@Example.org", lists=[lists.deal.pk]
    )
    assert response.status_code == 302 and response["Location"] == "/updates/check/"
    sub = Subscription.objects.get()
    assert sub.status == "pending" and sub.subscriber.email == "ana@example.org"
    assert mail.outbox[0].to == ["ana@example.org"]
    path = confirm_path()
    # GET only shows a page (link scanners follow GETs): nothing is confirmed.
    page = client.get(path)
    assert page.status_code == 200 and "Confirm subscription" in page.content.decode()
    assert Subscription.objects.get().status == "pending"
    # The button POSTs.
    done = client.post(path, {"notice": form_notice("en")})
    assert done.status_code == 200 and "Subscription confirmed" in done.content.decode()
    assert Subscription.objects.get().status == "confirmed"


def test_a_head_request_or_a_second_get_confirms_nothing(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    path = confirm_path()
    client.head(path)
    client.get(path)
    Client().get(path)
    assert Subscription.objects.get().status == "pending"


def test_the_confirmation_token_is_scoped_to_the_subscriber_and_the_lists(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    token_a = confirm_path().split("/")[3]
    mail.outbox.clear()
    post_form(
        client,
        django_capture_on_commit_callbacks,
        email="b@example.org",
        lists=[lists.deal.pk, lists.everything.pk],
    )
    # A's link confirms A's one list and nothing of B's.
    client.post(f"/updates/confirm/{token_a}/", {"notice": form_notice("en")})
    states = dict(
        Subscription.objects.values_list("subscriber__email", "mailing_list__slug").filter(
            status="confirmed"
        )
    )
    assert states == {"a@example.org": "deal-news"}
    # A token naming another list (re-signed payload without the key) is refused.
    payload, stamp, _sig = token_a.split(":")
    forged = f"{payload[:-2]}xx:{stamp}:{_sig}"
    assert client.post(f"/updates/confirm/{forged}/").status_code == 400
    # And a confirmation token is not an unsubscribe token, or the other way round.
    assert client.post(f"/updates/unsubscribe/{token_a}/").status_code == 400
    assert Subscription.objects.get(subscriber__email="a@example.org").status == "confirmed"


def test_the_confirmation_link_expires(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    path = confirm_path()
    eight_days_later = time.time() + 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_later)
    response = client.post(path, {"notice": form_notice("en")})
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    assert Subscription.objects.get().status == "pending"


def test_a_tampered_confirmation_link_changes_nothing(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    path = confirm_path()
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert client.post(tampered, {"notice": form_notice("en")}).status_code == 400
    assert Subscription.objects.get().status == "pending"


def test_repeat_sign_ups_send_at_most_one_email_every_ten_minutes(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(3):
        post_form(
            client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
        )
    assert len(mail.outbox) == 1
    Subscriber.objects.update(last_notice_at=timezone.now() - dt.timedelta(minutes=9))
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    assert len(mail.outbox) == 1
    Subscriber.objects.update(last_notice_at=timezone.now() - dt.timedelta(minutes=11))
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    assert len(mail.outbox) == 2
    # Either link works: both carry the same subscriber and list.
    client.post(links_in(mail.outbox[0].body)[0], {"notice": form_notice("en")})
    assert Subscription.objects.get().status == "confirmed"


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any, subscribe: Any
) -> None:
    subscribe("confirmed@example.org", lists.deal)
    post_form(
        client,
        django_capture_on_commit_callbacks,
        email="pending@example.org",
        lists=[lists.deal.pk],
    )
    suppressed = subscribe("bounced@example.org", lists.deal)
    services.suppress(suppressed, "bounced", "hard bounce")
    answers = []
    for address in (
        "unknown@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "bounced@example.org",
    ):
        response = post_form(
            Client(), django_capture_on_commit_callbacks, email=address, lists=[lists.deal.pk]
        )
        follow = Client().get(response["Location"])
        answers.append((response.status_code, response["Location"], follow.content))
    assert len(set(answers)) == 1


def test_a_confirmed_address_signing_up_again_gets_a_note_not_a_new_confirmation(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any, subscribe: Any
) -> None:
    subscribe("a@example.org", lists.deal)
    Subscriber.objects.update(last_notice_at=None)
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    (note,) = mail.outbox
    assert "already receives" in note.body
    (path,) = links_in(note.body)
    assert path.startswith("/updates/preferences/")
    # A stranger typing the address cannot change a confirmed subscriber's language.
    answer = post_form(
        Client(),
        django_capture_on_commit_callbacks,
        email="a@example.org",
        lists=[lists.deal.pk],
        language="es",
    )
    assert answer.status_code == 302
    assert Subscriber.objects.get().language == "en"


def test_a_bad_address_is_named_and_nothing_is_stored(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = post_form(
        client, django_capture_on_commit_callbacks, email="not-an-address", lists=[lists.deal.pk]
    )
    assert response.status_code == 400
    assert "“not-an-address” is not an email address." in response.content.decode()
    assert not Subscriber.objects.exists()


# --- The consent record (item 3) --------------------------------------------------------


def test_each_confirmation_keeps_the_time_lists_and_exact_notice_shown(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    post_form(
        client,
        django_capture_on_commit_callbacks,
        email="a@example.org",
        lists=[lists.deal.pk, lists.everything.pk],
    )
    page = client.get(confirm_path()).content.decode()
    before = timezone.now()
    client.post(confirm_path(), {"notice": form_notice("en")})
    consent = Consent.objects.get()
    assert consent.lists == ["all-news", "deal-news"]
    assert before <= consent.at <= timezone.now()
    assert consent.notice_text == notice_text("en")
    assert consent.notice_text.replace("'", "&#x27;") in page  # the very text on the page
    assert consent.notice_hash == hashlib.sha256(consent.notice_text.encode()).hexdigest()


def test_the_mailchimp_notice_is_shown_and_recorded_when_mailchimp_is_used(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.MAILING = {**settings.MAILING, "MAILCHIMP_ENABLED": True, "MAILCHIMP_API_KEY": ""}
    processor = "your information will be transferred to mailchimp for processing"
    assert processor in client.get("/updates/").content.decode().lower()
    post_form(
        client,
        django_capture_on_commit_callbacks,
        email="a@example.org",
        lists=[lists.deal.pk],
        notice=form_notice("en"),
    )
    client.post(confirm_path(), {"notice": form_notice("en")})
    assert processor in Consent.objects.get().notice_text.lower()


def test_a_notice_changed_since_the_page_was_shown_is_not_consent(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    post_form(
        client, django_capture_on_commit_callbacks, email="a@example.org", lists=[lists.deal.pk]
    )
    path = confirm_path()
    shown = form_notice("en")
    settings.MAILING = {**settings.MAILING, "TRACKING": True}  # the notice grows a sentence
    response = client.post(path, {"notice": shown})
    assert response.status_code == 400
    assert "The notice has changed" in response.content.decode()
    assert not Consent.objects.exists() and Subscription.objects.get().status == "pending"


def test_emails_in_spanish_chosen_on_an_english_page_come_in_spanish(
    lists: Lists, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    answer = post_form(  # the page (and its notice) in English, the emails in Spanish
        client,
        django_capture_on_commit_callbacks,
        email="a@example.org",
        lists=[lists.deal.pk],
        language="es",
    )
    assert answer.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Confirme su suscripción a las novedades de Detente"
    path = confirm_path()
    page = Client().get(path).content.decode()
    assert '<html lang="es">' in page and "Confirmar la suscripción" in page
    Client().post(path, {"notice": form_notice("es")})
    consent = Consent.objects.get()
    assert consent.language == "es" and consent.notice_text == notice_text("es")


def test_tokens_name_their_purpose(lists: Lists, subscribe: Any) -> None:
    sub = subscribe("a@example.org", lists.deal)
    prefs = tokens.make(tokens.PREFERENCES, sub.pk, sub.email_hash)
    for purpose in (tokens.CONFIRM, tokens.UNSUBSCRIBE):
        with pytest.raises(tokens.BadToken):
            tokens.read(purpose, prefs)
    assert tokens.read(tokens.PREFERENCES, prefs).subscriber == sub.pk
