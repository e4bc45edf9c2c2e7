"""Downloads in a real browser: a verifier filters the People list and downloads it as CSV
(the file holds the rows the page showed); legislative staff, who see more names on the
site than the public does, download nothing that names anyone beyond the public."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, new_page, sign_in

# The staff tests' fixtures: the demo behind the real server, and the console watch.
demo = test_staff.demo
watch = test_staff.watch

pytestmark = pytest.mark.browser

AGREEMENT = "December 2014 release commitment (synthetic demo)"


def rows_of(csv_bytes: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))


def test_a_verifier_downloads_the_filtered_people_list_as_csv(
    browser: Any, demo: Demo, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP, accept_downloads=True)
    page.goto(demo.base + "/staff/people/")
    sign_in(page, demo, "verifier", ENGLISH)
    page.get_by_label("Agreement").select_option(label=AGREEMENT)
    page.get_by_label("Where they stand").select_option(label="Reported released")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="People matching the filters").is_visible()
    shown = {
        row.locator(".handle").inner_text(): row.locator("th a").inner_text()
        for row in page.locator("table.list tbody tr").all()
    }
    assert shown and f"{len(shown)} people." in page.locator("main").inner_text()
    downloads = page.locator("p.downloads")
    assert downloads.inner_text() == "Download this list: CSV · Excel · JSON"

    with page.expect_download() as info:
        downloads.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename == "people.csv"
    rows = rows_of(Path(download.path()).read_bytes())
    # The same people as on the page, with the same names, and where each stands.
    assert {r["handle"]: r["name"] for r in rows} == shown
    assert all(r["agreements"] == "cuba-us-2014: reported" for r in rows), rows
    page.context.close()


def test_legislative_staff_download_no_name_beyond_the_public_ones(
    browser: Any, demo: Demo, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "legislator", ENGLISH)
    page.goto(demo.base + "/agreements/cuba-us-2014/")
    # On the page: every named member, as disclosed to the legislature.
    seen = set(page.locator("main a[href^='/people/']").all_inner_texts())
    assert len(seen) == 49

    # The open data file of the same agreement, downloaded in the same session: only the
    # names disclosed to the public, as anyone gets it.
    answer = page.request.get(demo.base + "/open/agreements/cuba-us-2014/members.csv")
    assert answer.ok
    named = {r["name"] for r in rows_of(answer.body()) if r["name"]}
    anonymous = browser.new_context(locale="en-US")
    public = anonymous.new_page()
    public.goto(demo.base + "/agreements/cuba-us-2014/")
    assert named == set(public.locator("main a[href^='/people/']").all_inner_texts())
    assert len(named) < len(seen)
    anonymous.close()

    # The staff People list, and its download, are closed to them.
    answer = page.request.get(demo.base + "/staff/people/export.csv")
    assert answer.status == 403
    assert not any(name in answer.text() for name in seen)
    watch.clear()
    page.context.close()
