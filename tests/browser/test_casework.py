"""Casework in a real browser (issue 16): an analyst raises a case about a demo person,
attaches the letter, sets a task with an email reminder and finds it on "My work"; a
program renamed .pdf is refused.

Against the real server with the demo loaded (tests/browser/conftest.py); everything is
asserted as the user sees it on the pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, new_page, sign_in

pytestmark = pytest.mark.browser

demo = test_staff.demo  # the session fixture: the demo's data directory and logins
watch = test_staff.watch  # no console error and no failed request on any page

HANDLE = "P-0007"  # a demo person
# A small PDF made here: the header is what the server recognises it by.
LETTER = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    b"% Letter to the consul asking for a prison visit (test)\n%%EOF\n"
)
# A Linux program (its ELF header) renamed as a PDF.
PROGRAM = b"\x7fELF\x02\x01\x01\x00" + bytes(120)


def _in(page: Any) -> str:
    return str(page.locator("main").inner_text())


def test_an_analyst_raises_a_case_attaches_the_letter_and_sets_a_reminder(
    browser: Any, demo: Demo, watch: list[str]
) -> None:
    today = dt.datetime.now(dt.UTC).date()  # the server's day (TIME_ZONE is UTC)
    raised_on = today - dt.timedelta(days=3)
    due = today + dt.timedelta(days=9)
    remind = today + dt.timedelta(days=6)
    title = "Chase the consul about the prison visit"
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "analyst", ENGLISH)  # password and the one-time code
    page.goto(demo.base + f"/staff/people/{HANDLE}/")
    assert HANDLE in page.get_by_role("heading", level=1).inner_text()

    # Raise the case.
    page.get_by_role("link", name="Record a case raised").click()
    page.get_by_label("Raised with (party)").select_option(label="Counterpart government (demo)")
    page.get_by_label("Official, by role").fill("Consul of the counterpart embassy")
    page.get_by_label("How").select_option(label="Letter")
    page.get_by_label("When").fill(raised_on.isoformat())
    page.get_by_label("What was asked").fill("A prison visit for the family before the holidays.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "The case raised is recorded." in _in(page)
    case_heading = page.get_by_role("heading", level=1).inner_text()
    assert case_heading.startswith("Case raised #")
    case_url = page.url
    assert "Consul of the counterpart embassy" in _in(page)

    # Attach the letter to the case.
    page.get_by_role("link", name="Attach a file").click()
    page.get_by_label("File (required)").set_input_files(
        {"name": "letter-to-consul.pdf", "mimeType": "application/pdf", "buffer": LETTER}
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    sha = hashlib.sha256(LETTER).hexdigest()
    assert page.url == case_url
    assert f"The file is kept (SHA-256 {sha})." in _in(page)
    files = page.locator("table.attachments tbody tr")
    assert files.count() == 1
    row = files.first.inner_text()
    assert "letter-to-consul.pdf" in row and "PDF" in row and sha in row
    assert files.first.get_by_role("link", name="letter-to-consul.pdf").count() == 1

    # A program renamed .pdf: refused, said why, nothing kept.
    page.get_by_role("link", name="Attach a file").click()
    page.get_by_label("File (required)").set_input_files(
        {"name": "scan-of-ruling.pdf", "mimeType": "application/pdf", "buffer": PROGRAM}
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    text = _in(page)
    assert "This file is an executable program (ELF), which is not accepted" in text
    assert page.get_by_role("heading", level=1).inner_text() == "Attach a file"
    page.goto(case_url)
    assert "scan-of-ruling.pdf" not in _in(page)
    assert page.locator("table.attachments tbody tr").count() == 1

    # A task on the person, due in nine days, reminded by email in six, for themself.
    page.goto(demo.base + f"/staff/people/{HANDLE}/")
    page.get_by_role("link", name="Set a task").click()
    page.get_by_label("What to do").fill(title)
    page.get_by_label("Due").fill(due.isoformat())
    assignee = page.get_by_label("Assigned to")
    assert assignee.input_value() == "analyst"  # themself, by default
    assignee.select_option("analyst")
    page.get_by_label("Remind by email on").fill(remind.isoformat())
    page.get_by_role("button", name="Set the task").click()
    page.wait_for_load_state()
    assert "The task is set." in _in(page)

    # The person page lists the case raised and the open task.
    cases = page.locator("table.casework-interventions tbody tr")
    case = cases.filter(has_text="Consul of the counterpart embassy")
    assert case.count() == 1
    assert "Letter" in case.inner_text() and "A prison visit for the family" in case.inner_text()
    assert page.locator("table.casework-tasks").filter(has_text=title).count() == 1

    # "My work": the task, its due date, the reminder day and the subject's handle.
    page.locator("nav.staff-nav summary").click()  # "More", where "My work" is
    page.get_by_role("link", name="My work").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My work"
    task = page.locator("table.casework-tasks tbody tr").filter(has_text=title)
    assert task.count() == 1
    when = task.locator("time")
    assert when.get_attribute("datetime") == due.isoformat()
    shown = when.inner_text()
    assert str(due.day) in shown and str(due.year) in shown
    assert "email reminder on" in task.inner_text()
    assert task.get_by_role("link", name=HANDLE).count() == 1

    # The case, opened from the person page, holds the letter with its SHA-256.
    page.goto(demo.base + f"/staff/people/{HANDLE}/")
    row = page.locator("table.casework-interventions tbody tr").filter(
        has_text="Consul of the counterpart embassy"
    )
    row.get_by_role("link").first.click()  # the date: the case's own page
    page.wait_for_load_state()
    assert page.url == case_url
    assert sha in page.locator("table.attachments").inner_text()
    page.context.close()
