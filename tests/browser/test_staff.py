"""The staff application in a real browser, against the real server with the demo loaded.

Screenshots of the main pages go to ``$DETENTE_SCREENSHOTS`` (default: the test's temporary
directory, so a normal run writes nothing into the repository). The user guide's images
are made by ``bench/screenshots.py`` (docs/development.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

AGREEMENT = "/agreements/cuba-us-2014/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Demo:
    base: str
    data: Path
    passwords: dict[str, str]

    def code(self, username: str) -> str:
        """A current one-time code for a demo account (``detente user totp-code``)."""
        env = {**os.environ, "DETENTE_DATA_DIR": str(self.data)}
        env.pop("DATABASE_URL", None)
        out = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "detente.cli", "user", "totp-code", username],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        found = re.search(r"\b(\d{6})\b", out)
        assert found, out
        return found.group(1)

    def operator(self, *args: str) -> str:
        env = {**os.environ, "DETENTE_DATA_DIR": str(self.data)}
        env.pop("DATABASE_URL", None)
        return subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "detente.cli", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


@pytest.fixture(scope="session")
def demo(server: str, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    # The server fixture keeps its data directory in the session's temporary directory.
    [data] = {
        p.resolve()  # "browser-datacurrent" is pytest's link to the numbered directory
        for p in tmp_path_factory.getbasetemp().glob("browser-data*")
        if (p / "demo-logins.txt").exists()
    }
    rows = [line.split("\t") for line in (data / "demo-logins.txt").read_text().splitlines()]
    return Demo(server, data, {user: password for user, password, _role in rows})


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    path = Path(os.environ.get("DETENTE_SCREENSHOTS") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def watch() -> Iterator[list[str]]:
    """Console errors and failed requests seen by the pages of one test (none allowed)."""
    problems: list[str] = []
    yield problems
    assert [p for p in problems if "favicon.ico" not in p] == []


def new_page(browser: Any, problems: list[str], **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return page


def sign_in(page: Any, demo: Demo, username: str, labels: tuple[str, str, str]) -> None:
    """Fill the staff login form (already open) as a person would, and submit it."""
    user_label, password_label, code_label = labels
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label, exact=True).fill(demo.passwords[username])
    page.get_by_label(code_label).fill(demo.code(username))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()


ENGLISH = ("Username", "Password", "Authentication code")
SPANISH = ("Nombre de usuario", "Contraseña", "Código de autenticación")


def confirmed_figure(browser: Any, demo: Demo) -> int:
    """The public figure, read by a fresh anonymous visitor (no cached page)."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(demo.base + AGREEMENT)
    value = int(page.locator(".figures:not(.parts) .key dd").inner_text().strip())
    context.close()
    return value


def test_a_verifier_confirms_a_reported_release_and_the_public_figure_moves(
    browser: Any, demo: Demo, shots: Path, watch: list[str]
) -> None:
    before = confirmed_figure(browser, demo)
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/verification/")
    assert "/staff/login/" in page.url  # staff pages need a login
    page.screenshot(path=str(shots / "staff-login.png"))
    sign_in(page, demo, "verifier", ENGLISH)
    assert page.url == demo.base + "/staff/verification/"  # back where the verifier was going
    page.get_by_role("link", name="Dashboard").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    page.screenshot(path=str(shots / "staff-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Verification queue").click()
    page.get_by_label("State").select_option("reported")
    page.get_by_role("button", name="Show").click()
    item = page.locator("li.queue-item").first
    handle = item.locator(".handle").inner_text()
    assert "Reported released" in item.inner_text()
    item.get_by_text("Confirm the release").click()
    page.screenshot(path=str(shots / "staff-queue.png"))
    form = item.locator("form[action$='/confirm/']")
    form.get_by_label("On whose word").select_option(
        label="Counterpart embassy, human rights officer (A)"
    )
    form.get_by_label("Evidence", exact=True).fill("Officer visited the home on Monday.")
    form.get_by_role("button", name="Confirm", exact=True).click()
    # htmx swaps the item in place with what was recorded.
    done = page.locator(".queue-item .done")
    done.wait_for()
    assert f"{handle}: release confirmed" in done.inner_text()
    assert "Confirmed released" in page.locator(".queue-item").first.inner_text()

    assert confirmed_figure(browser, demo) == before + 1
    page.context.close()


def test_the_queue_works_without_javascript(browser: Any, demo: Demo, watch: list[str]) -> None:
    page = new_page(browser, watch, locale="en-US", java_script_enabled=False)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "admin", ENGLISH)
    page.goto(demo.base + "/staff/verification/?state=reported")
    item = page.locator("li.queue-item").first
    item.get_by_text("Confirm the release").click()
    # A graded-C source cannot confirm: the reason is shown on the field, nothing saved.
    form = item.locator("form[action$='/confirm/']")
    form.get_by_label("On whose word").select_option(label="Relatives of the detained (C)")
    form.get_by_label("Evidence", exact=True).fill("A cousin says so.")
    form.get_by_role("button", name="Confirm", exact=True).click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "Nothing was saved" in text and "is graded C" in text
    form = page.locator("form[action$='/confirm/']")
    assert form.get_by_label("Evidence", exact=True).input_value() == "A cousin says so."
    page.context.close()


def test_a_legislature_user_sees_the_names_disclosed_to_the_legislature_only(
    browser: Any, demo: Demo, shots: Path, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", viewport=DESKTOP)
    page.goto(demo.base + "/staff/login/")
    sign_in(page, demo, "legislator", ENGLISH)
    assert page.url == demo.base + "/"  # the public site, with what they may see
    page.goto(demo.base + AGREEMENT)
    names = page.locator("a[href^='/people/']")
    # The demo discloses all 49 named members to the legislature (at risk included).
    assert names.count() == 49
    names.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "legislature-agreement.png"))
    handles = set(re.findall(r"P-\d{4}", page.locator("main").inner_text()))
    names.first.click()
    assert not page.get_by_role("heading", level=1).inner_text().startswith("P-")
    # Someone recorded but on no agreement shown to them: no page at all.
    outsider = "P-0060"
    assert outsider not in handles
    response = page.goto(demo.base + f"/people/{outsider}/")
    assert response is not None and response.status == 404
    watch.clear()  # that 404 was the point
    # And the staff application is closed to them.
    response = page.goto(demo.base + "/staff/people/")
    assert response is not None and response.status == 403
    watch.clear()
    page.context.close()


def test_an_anonymous_visitor_sees_only_handles_before_public_disclosure(
    browser: Any, demo: Demo, shots: Path, watch: list[str]
) -> None:
    page = new_page(browser, watch, locale="en-US", viewport=PHONE)
    page.goto(demo.base + AGREEMENT)
    rows = page.locator("table tbody tr").filter(has_text=re.compile(r"P-\d{4}"))
    assert rows.count() == 49
    named = page.locator("a[href^='/people/']")
    # 12 disclosed to the public, 2 of them at risk and kept hidden; 8 more only proposed.
    assert named.count() == 10
    page.screenshot(path=str(shots / "public-agreement-phone.png"))
    hidden = [r for r in rows.all() if r.locator("a[href^='/people/']").count() == 0]
    assert len(hidden) == 39
    handle = re.search(r"P-\d{4}", hidden[0].inner_text())
    assert handle is not None
    response = page.goto(demo.base + f"/people/{handle.group(0)}/")
    assert response is not None and response.status == 404
    watch.clear()
    response = page.goto(demo.base + "/staff/")
    assert "/staff/login/" in page.url  # and the staff pages ask for a login
    page.context.close()


def test_the_whole_staff_flow_in_spanish_on_a_phone(
    browser: Any, demo: Demo, shots: Path, watch: list[str]
) -> None:
    # Someone on the NGO's list, on no agreement: a claim about them moves no figure.
    person = "P-0060"
    ident = demo.operator("person", "show", person, "--json")
    given = re.search(r'"given_names": "([^"]+)"', ident)
    paternal = re.search(r'"paternal_surname": "([^"]+)"', ident)
    assert given and paternal
    # As it might be typed on a phone: no accents, lower case, one surname.
    query = f"{given.group(1).split()[0]} {paternal.group(1)}".lower()
    query = query.translate(str.maketrans("áéíóúñ", "aeioun"))

    page = new_page(browser, watch, locale="es-ES", viewport=PHONE, is_mobile=True)
    page.goto(demo.base + "/staff/login/")
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"
    sign_in(page, demo, "analyst", SPANISH)
    assert page.get_by_role("heading", level=1).inner_text() == "Panel"

    page.get_by_role("link", name="Personas").click()
    page.get_by_label("Nombre o código").fill(query)
    # Results arrive while typing (htmx); the name stays out of the address.
    result = page.locator(f"#results a[href='/staff/people/{person}/']")
    result.wait_for()
    assert page.url == demo.base + "/staff/people/"
    page.screenshot(path=str(shots / "staff-search-es-phone.png"), full_page=True)
    result.click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert person in text and "Situación de esta persona, y por qué" in text
    assert "Cronología de la detención" in text and "Afirmaciones" in text
    page.screenshot(path=str(shots / "staff-person-es-phone.png"), full_page=True)

    page.get_by_role("link", name="Registrar una afirmación").click()
    page.get_by_label("Fuente", exact=True).select_option(label="Relatives of the detained (C)")
    page.get_by_label("Lo que dice la fuente").select_option("detained")
    page.get_by_label("Fecha del hecho").fill("2099-01-01")
    page.get_by_label("Evidencias", exact=True).fill("Visita familiar el domingo.")
    page.get_by_role("button", name="Registrar la afirmación").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "No se ha guardado nada" in text and "está en el futuro" in text
    assert page.get_by_label("Evidencias", exact=True).input_value() == (
        "Visita familiar el domingo."
    )
    page.screenshot(path=str(shots / "staff-claim-error-es-phone.png"), full_page=True)
    page.get_by_label("Fecha del hecho").fill("2015-03-01")
    page.get_by_role("button", name="Registrar la afirmación").click()
    page.wait_for_load_state()
    assert re.search(rf"Afirmación n\.º \d+ registrada para {person}\.", page.content())
    assert "Visita familiar el domingo." in page.locator("main").inner_text()

    page.get_by_role("link", name="Cola de verificación").click()
    text = page.locator("main").inner_text()
    assert "pendiente" in text and "Confirmar la excarcelación" not in text  # read-only
    page.context.close()
