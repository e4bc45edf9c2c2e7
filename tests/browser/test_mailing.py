"""A visitor follows an agreement by email, in Spanish, in a real browser: signs up from
the footer link, confirms from the email received, and leaves from the digest's footer.

The server is the real one (gunicorn over the demo, like the other browser tests), here
started with its mail going to an SMTP server (aiosmtpd) that this test runs, and with
its background tasks run inside the request (DETENTE_TASKS=immediate) so the
confirmation leaves at once. The digest is built and sent by `detente mailing digest`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, new_page, sign_in
from tests.mailing.sink import Received, Sink, free_port, running_sink

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "lectora@example.org"

# Run in the server's data directory: an independent embassy confirms the release of
# one demo member not yet confirmed, which is news for the list.
CONFIRM_ONE = """
import datetime as dt, django
django.setup()
from detente.access.policy import cli_actor
from detente.agreements.models import Membership
from detente.evidence.models import Source
from detente.evidence.services import claim_record
m = Membership.objects.filter(agreement__slug="cuba-us-2014").exclude(state="confirmed").first()
claim_record(actor=cli_actor(), source=Source.objects.get(slug="embassy"), person=m.person,
             agreement=m.agreement, status="unconditional_release",
             event_date=dt.date(2015, 1, 20))
"""


@dataclass
class MailServer:
    url: str
    env: dict[str, str]
    sink: Sink

    def detente(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "detente.cli", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def wait_for_mail(self, count: int, address: str = ADDRESS) -> list[Received]:
        for _ in range(100):
            found = self.sink.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} message(s), got {len(self.sink.to(address))}")


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    data = tmp_path_factory.mktemp("mail-browser-data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_sink() as sink:
        env = {
            **os.environ,
            "DETENTE_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "detente.settings",
            "DETENTE_TASKS": "immediate",
            "DETENTE_EMAIL_HOST": "127.0.0.1",
            "DETENTE_EMAIL_PORT": str(sink.port),
            "DETENTE_EMAIL_FROM": "Detente <novedades@example.org>",
            "DETENTE_PUBLIC_URL": base,
        }
        env.pop("DATABASE_URL", None)  # the browser tests run on the embedded database
        server = MailServer(base, env, sink)
        server.detente("migrate", "-v0")
        server.detente("demo")
        # The demo's list for its agreement, made to send as things happen.
        server.detente("mailing", "list-set", "cuba-us-2014", "--frequency", "immediate")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        proc = subprocess.Popen(  # noqa: S603 - our own server, loopback only
            [gunicorn, "detente.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/methods/", timeout=1)  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(0.1)
            yield server
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_subscribe_in_spanish_confirm_from_the_email_and_leave_from_its_footer(
    mail_server: MailServer, browser: Any
) -> None:
    page = browser.new_page(locale="es-ES")
    errors: list[str] = []
    # Script errors and CSP refusals (the 400 of the refused form and the browser's own
    # favicon probe are expected answers, not errors of the page).
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.goto(mail_server.url + "/")
    page.get_by_role("link", name="Seguir por correo").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Seguir por correo"

    # Nothing chosen: told so, and nothing is sent.
    page.get_by_label("Dirección de correo electrónico").fill(ADDRESS)
    page.get_by_role("button", name="Suscribirse").click()
    assert "Seleccione al menos una lista de correo." in page.locator("main").inner_text()
    assert mail_server.sink.to(ADDRESS) == []

    page.get_by_label("December 2014 release commitment (synthetic demo)").check()
    page.get_by_role("button", name="Suscribirse").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Revise su correo"

    # The confirmation email, in Spanish; its link opens a page, whose button confirms.
    (confirmation,) = mail_server.wait_for_mail(1)
    assert str(confirmation.message["Subject"]) == (
        "Confirme su suscripción a las novedades de Detente"
    )
    page.set_content(confirmation.html())
    page.get_by_role("link", name="Confirme su suscripción").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Confirme su suscripción"
    page.get_by_role("button", name="Confirmar la suscripción").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Suscripción confirmada"

    # News: a digest goes out, in Spanish, with the unsubscribe link in its footer.
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", CONFIRM_ONE],
        env=mail_server.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert "cuba-us-2014: digest" in mail_server.detente("mailing", "digest", "--send")
    digest = mail_server.wait_for_mail(2)[1]
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "excarcelación confirmada de forma independiente" in digest.text()
    page.set_content(digest.html())
    page.get_by_role("link", name="Darse de baja de esta lista").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("button", name="Darse de baja").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ha salido de la lista"

    held = json.loads(mail_server.detente("mailing", "export", ADDRESS))
    assert [s["status"] for s in held["subscriptions"]] == ["unsubscribed"]
    assert errors == [], errors
    page.close()


READER = "reader@example.org"


def test_a_verifier_sends_a_list_now_and_the_subscriber_gets_the_news(
    mail_server: MailServer, browser: Any
) -> None:
    problems: list[str] = []
    # A reader follows every public agreement (the daily list), and confirms.
    page = new_page(browser, problems, locale="en-US")
    page.goto(mail_server.url + "/")
    page.get_by_role("link", name="Follow by email").click()
    page.get_by_label("All updates").check()
    page.get_by_label("Email address").fill(READER)
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    (confirmation,) = mail_server.wait_for_mail(1, READER)
    page.set_content(confirmation.html())
    page.get_by_role("link", name="Confirm your subscription").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Confirm subscription").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Subscription confirmed"
    page.context.close()

    # News: a verifier confirms a reported release from the queue.
    data = Path(mail_server.env["DETENTE_DATA_DIR"])
    logins = [line.split("\t") for line in (data / "demo-logins.txt").read_text().splitlines()]
    demo = Demo(mail_server.url, data, {user: password for user, password, _role in logins})
    page = new_page(browser, problems, locale="en-US", viewport=DESKTOP)
    page.goto(mail_server.url + "/staff/verification/?state=reported")
    sign_in(page, demo, "verifier", ENGLISH)
    item = page.locator("li.queue-item").first
    handle = item.locator(".handle").inner_text()
    item.get_by_text("Confirm the release").click()
    form = item.locator("form[action$='/confirm/']")
    form.get_by_label("On whose word").select_option(
        label="Counterpart embassy, human rights officer (A)"
    )
    form.get_by_label("Evidence", exact=True).fill("Officer visited the home on Monday.")
    form.get_by_role("button", name="Confirm", exact=True).click()
    page.locator(".queue-item .done").wait_for()
    # The daily list would send it tomorrow: nothing has gone out yet.
    assert len(mail_server.sink.to(READER)) == 1

    # The verifier sends the list now, seeing first what would go out, and to whom.
    page.goto(mail_server.url + "/staff/updates/")
    page.get_by_role("link", name="All updates").click()
    page.get_by_role("link", name="Send the digest now…").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Send the digest now"
    assert page.locator("#recipients").inner_text() == "1"
    summary = page.locator("main").inner_text()
    assert "The digest will go to 1 confirmed subscriber, now" in summary
    page.get_by_role("button", name="Send to 1 subscriber").click()
    page.wait_for_load_state()
    assert "The digest is on its way to 1 subscriber." in page.locator("main").inner_text()
    page.context.close()

    digest = mail_server.wait_for_mail(2, READER)[1]
    assert re.fullmatch(r"Detente: \d+ updates? on All updates", str(digest.message["Subject"]))
    text = digest.text()
    assert re.search(rf"{handle}\)?: release (on conditions )?independently confirmed\.", text)
    assert "December 2014 release commitment (synthetic demo)" in text
    assert [p for p in problems if "favicon.ico" not in p] == []
