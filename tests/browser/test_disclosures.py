"""Approving a disclosure in a real browser: the second person sees whom it names, where
each stands and who is at risk, is warned about those still held, must say they checked
and why; then the public agreement page names them (never those at risk)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, new_page, sign_in

# The staff tests' fixtures: the demo behind the real server, and the console watch.
demo = test_staff.demo
watch = test_staff.watch

pytestmark = pytest.mark.browser

# The demo's agreement of 553: public, its 24 named members not yet disclosed to anyone
# (the other tests count the names of cuba-us-2014, which this leaves alone).
AGREEMENT = "/agreements/gradual-2025/"


def public_names(browser: Any, demo: Demo) -> set[str]:
    """The names an anonymous visitor sees on the agreement page (a fresh browser)."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(demo.base + AGREEMENT)
    names = set(page.locator("main a[href^='/people/']").all_inner_texts())
    context.close()
    return names


def test_a_verifier_checks_who_a_disclosure_names_and_approves_it(
    browser: Any, demo: Demo, watch: list[str]
) -> None:
    assert public_names(browser, demo) == set()
    # Someone else proposed it (the two-person rule): here the command line.
    proposed = demo.operator(
        "disclosure",
        "propose",
        "--audience",
        "public",
        "--agreement",
        "gradual-2025",
        "--reason",
        "The NGO published these names on 20 January.",
    )
    found = re.search(r"#(\d+)", proposed)
    assert found, proposed
    number = found.group(1)

    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/disclosures/")
    sign_in(page, demo, "verifier", ENGLISH)
    page.get_by_role("link", name=f"#{number}", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Disclosure #{number}")

    # Who it names: every person with their name, where they stand and the at-risk mark.
    rows = page.locator("table.ov-table tbody tr")
    assert rows.count() == 24
    people = {}
    for row in rows.all():
        cells = row.locator("th, td").all_inner_texts()
        name = row.locator("th a").inner_text()
        people[name] = (cells[1], cells[2] == "at risk")
    at_risk = {n for n, (_, risk) in people.items() if risk}
    held = {n for n, (where, _) in people.items() if "not free" in where}
    assert at_risk and held and not any(n.startswith("P-") for n in people)
    text = page.locator("main").inner_text()
    assert f"24 people: {len(at_risk)} at risk, {len(held)} still held." in text
    warning = page.get_by_role("alert")
    assert warning.inner_text().startswith(f"{len(held)} people in this disclosure are still held")
    assert f"{len(at_risk)} people flagged at risk will be left out" in text

    # Approving without saying so and why: refused, nothing disclosed.
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "Tick this box to confirm you have checked the list." in text
    assert "Say why these names may be seen now." in text
    assert page.locator("h1 .ov-status").inner_text() == "Proposed"

    page.get_by_label("Note").fill("Checked each one with the NGO's published list.")
    page.get_by_label("I have checked the people listed above").check()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert f"Disclosure #{number} approved." in page.locator("main").inner_text()
    page.context.close()

    # The public page now names everyone in it but those at risk.
    assert public_names(browser, demo) == set(people) - at_risk
