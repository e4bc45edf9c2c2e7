"""Importing a list from the staff pages in a real browser, with the real background worker
(`detente db_worker`) beside the real server: the progress is polled by htmx under the
site's CSP (no console error allowed), and without JavaScript the Refresh link does it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser import test_staff
from tests.browser.test_staff import DESKTOP, ENGLISH, Demo, sign_in

# The staff tests' fixtures: the demo behind the real server, and the console watch.
demo = test_staff.demo
watch = test_staff.watch

pytestmark = pytest.mark.browser

LIST = (
    "Nombre completo,Situación,Fecha,Identificador\n"
    "Eusebio Caridad Tamayo Leyva,detained,2024-05-02,X-1\n"
    "Mario Leyva Ruiz,sentenced,2024-05-03,X-2\n"
)


@pytest.fixture
def worker(demo: Demo) -> Iterator[None]:
    """`detente db_worker` on the demo's data directory, for this test."""
    env = {**os.environ, "DETENTE_DATA_DIR": str(demo.data)}
    env.pop("DATABASE_URL", None)
    env.pop("DETENTE_TASKS", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente.cli",
            "db_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def new_page(browser: Any, problems: list[str], **options: Any) -> Any:
    """A page that does not ask for the site's (missing) icon: the browser's console
    would count that 404 as an error, without naming the address."""
    page = test_staff.new_page(browser, problems, **options)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    return page


def _upload(page: Any, demo: Demo, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(LIST, encoding="utf-8")
    page.goto(demo.base + "/staff/imports/new/")
    page.get_by_label("The list").set_input_files(str(path))
    page.get_by_label("Whose list it is").select_option("families")
    page.get_by_role("button", name="Upload and map the columns").click()
    page.wait_for_load_state()


def test_an_import_from_upload_to_result_with_htmx_progress(
    browser: Any, demo: Demo, worker: None, tmp_path: Path, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "analyst", ENGLISH)
    page.get_by_role("link", name="Imports").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Imports"
    _upload(page, demo, tmp_path, "lista-web.csv")
    assert page.get_by_label("Full name").input_value() == "Nombre completo"
    assert page.get_by_label("Status", exact=True).input_value() == "Situación"
    preview = page.locator("#preview-row-2").inner_text()
    assert "Eusebio Caridad" in preview and "Tamayo" in preview and "Leyva" in preview

    page.get_by_role("button", name="Check the list (dry run)").click()
    # The worker checks the list; htmx polls the progress and reloads the page when done.
    page.get_by_role("heading", name="What the import would do").wait_for(timeout=60_000)
    assert "Rows read" in page.locator("main").inner_text()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("link", name="Download what became of each row (CSV)").wait_for(timeout=60_000)
    text = page.locator("main").inner_text()
    assert "Imported" in text and "New people" in text
    with page.expect_download() as download:
        page.get_by_role("link", name="Download what became of each row (CSV)").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert body.splitlines()[0].startswith("row,external_id,outcome")
    assert "X-1" in body and "Tamayo" not in body
    page.context.close()


def test_without_javascript_the_refresh_link_follows_the_check(
    browser: Any, demo: Demo, worker: None, tmp_path: Path, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", java_script_enabled=False)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "analyst", ENGLISH)
    _upload(page, demo, tmp_path, "lista-sin-js.csv")
    page.get_by_role("button", name="Check the list (dry run)").click()
    page.wait_for_load_state()
    for _ in range(100):
        if "What the import would do" in page.locator("main").inner_text():
            break
        time.sleep(0.3)
        page.get_by_role("link", name="Refresh").click()
        page.wait_for_load_state()
    assert "What the import would do" in page.locator("main").inner_text()
    page.context.close()
