"""A new colleague joins, in a real browser: an administrator invites them and copies the
link shown once; they open it, choose a password, add the account to their authenticator
app (here: the key shown as text, fed to Detente's own TOTP code), keep their recovery
codes and sign in."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, PHONE, Demo, new_page, sign_in

from detente.accounts import totp

# The staff tests' fixtures: the demo behind the real server, and the console watch.
demo = test_staff.demo
watch = test_staff.watch

pytestmark = pytest.mark.browser

NEWCOMER = "nuevo.analista"
PASSWORD = "lighthouse-orchard-47"
# "Password (required)", not "Password again (required)".
FIRST_PASSWORD = re.compile(r"^Password\b(?! again)")


def test_an_administrator_invites_a_colleague_who_enrols_and_signs_in(
    browser: Any, demo: Demo, watch: list[str]
) -> None:
    admin = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    admin.goto(demo.base + "/staff/users/new/")
    sign_in(admin, demo, "admin", ENGLISH)
    assert admin.get_by_role("heading", level=1).inner_text() == "Invite a person"
    admin.get_by_label("Username").fill(NEWCOMER)
    admin.get_by_label("E-mail address").fill("nuevo.analista@example.org")
    admin.get_by_label("Analyst: reads and records").check()
    admin.get_by_role("button", name="Create the account and the link").click()
    admin.wait_for_load_state()
    assert admin.get_by_role("heading", level=1).inner_text() == (f"Invitation link for {NEWCOMER}")
    assert "This link is shown only now" in admin.locator("main").inner_text()
    link = admin.get_by_label("Link").input_value()
    assert re.fullmatch(re.escape(demo.base) + r"/staff/welcome/[^/]+/", link), link
    admin.context.close()

    # The newcomer, on their own phone, opens the link they were given.
    page = new_page(browser, watch, locale="en-US", viewport=PHONE, is_mobile=True)
    page.goto(link)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Set up your account: {NEWCOMER}"
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    key = page.locator("code.secret").inner_text()  # grouped by four, as apps accept it
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", key), key

    # Two different passwords: refused, nothing enrolled, the same key still offered.
    page.get_by_label(FIRST_PASSWORD).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD + "x")
    page.get_by_label("Code from the app").fill(_code(key))
    page.get_by_role("button", name="Set the password and enrol").click()
    page.wait_for_load_state()
    assert "The two passwords differ." in page.locator("main").inner_text()
    assert page.locator("code.secret").inner_text() == key

    page.get_by_label(FIRST_PASSWORD).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    spent = time.time()
    page.get_by_label("Code from the app").fill(_code(key, spent))
    page.get_by_role("button", name="Set the password and enrol").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your recovery codes"
    text = page.locator("main").inner_text()
    assert f"Your account {NEWCOMER} is ready" in text
    codes = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(codes) >= 8 and len(set(codes)) == len(codes), codes

    # The link worked once: opened again, it is a dead end like any unknown link.
    response = page.goto(link)
    assert response is not None and response.status == 404
    watch.clear()  # that 404 was the point

    # Signing in: the code just typed is spent, so the app's next one is used.
    page.goto(demo.base + "/staff/login/")
    page.get_by_label("Username").fill(NEWCOMER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Authentication code").fill(_code(key, spent + totp.PERIOD))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert page.locator("header .who").inner_text() == NEWCOMER
    page.context.close()


def _code(key: str, at: float | None = None) -> str:
    """What the authenticator app shows for ``key`` at ``at`` (now by default)."""
    return totp.totp(totp.decode_secret(key), time.time() if at is None else at)
