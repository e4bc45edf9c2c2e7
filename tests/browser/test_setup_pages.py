"""Setting up an agreement from the staff pages in a real browser, in Spanish: a party, an
agreement whose promise names no number and a source, then a first claim under it.

The new pages' words are not translated yet, so elements are found by their name, id or
role, never by their text. Screenshots go to ``$DETENTE_SCREENSHOTS`` (see test_staff).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, SPANISH, Demo, new_page, sign_in

# The staff tests' fixtures: the demo behind the real server, screenshots, the console watch.
demo = test_staff.demo
shots = test_staff.shots
watch = test_staff.watch

pytestmark = pytest.mark.browser

PARTY = "ni-gobierno"
AGREEMENT = "ni-excarcelacion-2024"
SOURCE = "observatorio-ni"

# Someone on no agreement yet, found on the server's data (the test's own shortcut: a
# user would search the registry); the page then names them on the new agreement.
FIND_SOMEONE = """
from detente.registry.models import Person

person = (
    Person.objects.filter(memberships__isnull=True, merged_into__isnull=True)
    .order_by("-handle")
    .first()
)
print(person.handle)
"""


def submit(page: Any, form: str) -> None:
    page.locator(f"#{form} button[name=save]").click()
    page.wait_for_load_state()


def test_a_verifier_sets_up_an_agreement_in_spanish(
    browser: Any, demo: Demo, shots: Path, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="es-ES", viewport=DESKTOP)
    # The site has no icon: Chromium's own request for one would log a console 404 (which
    # the watch recognises only in the response's address, not in the console's text).
    page.context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "verifier", SPANISH)
    assert page.locator("html").get_attribute("lang") == "es"

    # A party, from the menu (under "More": the bar keeps the everyday pages).
    page.locator("nav .nav-more summary").click()
    page.locator("nav a[href='/staff/parties/']").click()
    page.locator("#new-party").click()
    assert page.url == demo.base + "/staff/parties/new/"
    page.screenshot(path=str(shots / "setup-party-new-es.png"), full_page=True)
    page.locator("#id_slug").fill(PARTY)
    page.locator("#id_name").fill("Gobierno de Nicaragua")
    page.locator("#id_kind").select_option("government")
    page.locator("#id_independence_group").fill(PARTY)
    submit(page, "party-form")
    assert page.url == demo.base + "/staff/parties/"
    assert page.locator(f"#parties a[href='/staff/parties/{PARTY}/edit/']").count() == 1
    page.screenshot(path=str(shots / "setup-party-list-es.png"), full_page=True)

    # An agreement with no number promised. First with the same party on both sides:
    # refused on the counterpart's field, and what was typed stays.
    page.locator("nav a[href='/staff/agreements/']").click()
    page.locator("#new-agreement").click()
    assert page.url == demo.base + "/staff/agreements/new/"
    page.locator("#id_slug").fill(AGREEMENT)
    page.locator("#id_title").fill("Nicaragua prisoner release, 2024")
    page.locator("#id_title_es").fill("Excarcelación de Nicaragua, 2024")
    page.locator("#id_description_es").fill("Anunciada por la cancillería.")
    page.locator("#id_promisor").select_option(PARTY)
    page.locator("#id_promisee").select_option(PARTY)
    page.locator("#id_announced_on").fill("2024-05-01")
    page.locator("input[name=promise][value=none]").check()
    submit(page, "agreement-form")
    assert page.url == demo.base + "/staff/agreements/new/"
    assert page.locator(".error-summary").count() == 1
    assert page.locator("#id_promisee_error").count() == 1
    assert page.locator("#id_title_es").input_value() == "Excarcelación de Nicaragua, 2024"
    page.screenshot(path=str(shots / "setup-agreement-error-es.png"), full_page=True)
    page.locator("#id_promisee").select_option("counterpart-government")
    submit(page, "agreement-form")
    assert page.url == demo.base + f"/staff/agreements/{AGREEMENT}/"
    assert page.locator("#edit-agreement").count() == 1
    page.screenshot(path=str(shots / "setup-agreement-created-es.png"), full_page=True)

    # A source.
    page.locator("nav .nav-more summary").click()
    page.locator("nav a[href='/staff/sources/']").click()
    page.locator("#new-source").click()
    page.locator("#id_slug").fill(SOURCE)
    page.locator("#id_name").fill("Observatorio de presos políticos")
    page.locator("#id_kind").select_option("ngo")
    page.locator("#id_reliability").select_option("B")
    page.locator("#id_independence_group").fill(SOURCE)
    page.screenshot(path=str(shots / "setup-source-new-es.png"), full_page=True)
    submit(page, "source-form")
    assert page.url == demo.base + f"/staff/sources/{SOURCE}/"

    # Someone named on the agreement, then the first claim about them under it.
    handle = demo.operator("shell", "-c", FIND_SOMEONE).strip().splitlines()[-1]
    assert re.fullmatch(r"P-\d{4}", handle), handle
    page.goto(demo.base + f"/staff/agreements/{AGREEMENT}/")
    page.locator("#name-people").click()
    page.locator("#id_people").fill(handle)
    page.locator("#members-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == demo.base + f"/staff/agreements/{AGREEMENT}/"
    page.goto(demo.base + f"/staff/people/{handle}/claims/new/")
    page.locator("#id_source").select_option(label="Observatorio de presos políticos (B)")
    page.locator("#id_agreement").select_option(AGREEMENT)
    page.locator("#id_status").select_option("unconditional_release")
    page.locator("#id_event_date").fill("2024-06-01")
    page.locator("#id_evidence_text").fill("Llamada de la familia el 1 de junio.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == demo.base + f"/staff/people/{handle}/"
    assert page.locator(".messages li.success").count() == 1

    # The agreement now has one named member, no longer held.
    page.goto(demo.base + f"/staff/agreements/{AGREEMENT}/")
    row = page.locator("section[aria-labelledby=members] tbody tr").filter(has_text=handle)
    assert row.count() == 1
    assert row.locator(".state").get_attribute("class") != "state state-held"
    page.screenshot(path=str(shots / "setup-agreement-claimed-es.png"), full_page=True)
    page.context.close()
