"""Accessibility in a real browser: axe-core on every page, for every role, in both languages,
and the three tasks a keyboard-only verifier must be able to do.

The pages come from the URL configuration through the persona tables (tests/security): every
route a role may open is visited, its parameters filled from the links the pages themselves
show (the demo's own agreements, people, sources...), so a new page is checked as soon as it
is in the persona table. A route no page links to must be listed in ``NOT_LINKED`` with the
reason, or the test fails. axe-core (the copy bundled with axe-playwright-python) runs its
WCAG 2.0/2.1/2.2 A and AA rules and its best practices; any violation fails the test with its
rule, page and element. Django's admin is crawled the same way, from its own links, as an
administrator sees it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from tests.browser.test_staff import Demo, demo  # noqa: F401 - the session fixture
from tests.security.test_personas import ADMIN_PAGES, POST_ONLY, PUBLIC_URLS, ROUTES

pytestmark = pytest.mark.browser

# The demo's accounts, by the persona tables' role names (anonymous: nobody signed in).
ACCOUNTS = {
    "anonymous": None,
    "legislature": "legislator",
    "analyst": "analyst",
    "verifier": "verifier",
    "administrator": "admin",
}
LANGUAGES = ("en", "es")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # the public pages again, where tables scroll sideways
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# Routes that are no page for a browser: files, feeds, the API (its documentation page is
# one), Django's admin (checked by its own test below, from the admin's links), actions.
NOT_PAGES = re.compile(
    r"(\.(json|csv|pdf|xlsx|ico)$|\.<str:fmt>$|^api/(?!docs$)|^admin/|^\.well-known/|^i18n/|"
    r"^staff/logout/|/download/$|^updates/(mailchimp|webhooks)/|/export/$)"
)
# Pages with parameters that no page links to, and why they are not visited here.
NOT_LINKED = {
    "updates/confirm/<str:token>/": "a signed link sent by email (tests/browser/test_mailing.py)",
    "updates/unsubscribe/<str:token>/": "a signed link sent by email",
    "updates/preferences/<str:token>/": "a signed link sent by email",
    "updates/preferences/<str:token>/erase/": "a signed link sent by email",
    "staff/welcome/<str:token>/": "an invitation link, shown once to the administrator",
    "staff/imports/jobs/<int:pk>/": "the demo has no import job waiting",
    "staff/imports/jobs/<int:pk>/progress/": "a fragment of the job's page",
    "staff/matches/<int:pk>/": "reached when the demo has import rows waiting",
    "staff/imports/<int:pk>/": "the demo has imported no list",
}


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(<[^>]+>)", pattern)
    out = ""
    for part in parts:
        if part.startswith("<"):
            kind = part[1:].split(":")[0] if ":" in part else "str"
            out += {"int": r"[0-9]+", "slug": r"[-a-zA-Z0-9_]+"}.get(kind, r"[^/]+")
        else:
            out += re.escape(part)
    return re.compile("^/" + out + "$")


def routes_for(role: str) -> list[str]:
    allowed = {p for p, roles in ROUTES.items() if role in roles} | PUBLIC_URLS
    return sorted(p for p in allowed if p not in POST_ONLY and not NOT_PAGES.search(p))


@dataclass
class Report:
    states: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    unreached: dict[str, set[str]] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join(self.violations)


def check(page: Any, axe: Any, report: Report, label: str) -> None:
    """Run axe on the page as it is now; every violation's rule, page and element."""
    results = axe.run(page, options=AXE_OPTIONS)
    report.states.append(label)
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            report.violations.append(
                f"{violation['id']} ({violation['impact']}) on {label}: "
                f"{' '.join(map(str, node['target']))} {node['html'][:160]}"
            )


def _links(page: Any, base: str) -> list[str]:
    """The addresses the page leads to: its links, and its forms' actions (a form's page)."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    hrefs += page.eval_on_selector_all("form[action]", "els => els.map(e => e.action)")
    out = []
    for href in hrefs:
        parts = urlsplit(urljoin(page.url, href))
        if f"{parts.scheme}://{parts.netloc}" == base:
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


_used_codes: dict[str, str] = {}


def fresh_code(demo: Demo, username: str) -> str:  # noqa: F811
    """A one-time code not used yet by this module (a code is taken once: the next one
    comes with the next 30-second window)."""
    code = demo.code(username)
    while _used_codes.get(username) == code:
        time.sleep(30 - time.time() % 30 + 0.5)
        code = demo.code(username)
    _used_codes[username] = code
    return code


def sign_in(context: Any, demo: Demo, username: str) -> None:  # noqa: F811
    page = context.new_page()
    page.goto(demo.base + "/staff/login/")
    for _attempt in range(3):
        page.fill("#id_username", username)
        page.fill("#id_password", demo.passwords[username])
        page.fill("#id_otp", fresh_code(demo, username))
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_load_state()
        if "/staff/login/" not in page.url:
            break
        # The same code was taken by another test of the session: wait for the next one.
        _used_codes[username] = demo.code(username)
    assert "/staff/login/" not in page.url, "cannot sign in " + username
    page.close()


@pytest.fixture(scope="module")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture(scope="module")
def contexts(browser: Any, demo: Demo) -> Iterator[dict[str, Any]]:  # noqa: F811
    """One browser context per role, signed in once, reused by every test of this file."""
    made = {}
    for role, username in ACCOUNTS.items():
        context = browser.new_context(locale="en-US", viewport=DESKTOP)
        if username is not None:
            sign_in(context, demo, username)
        made[role] = context
    yield made
    for context in made.values():
        context.close()


def _set_language(context: Any, base: str, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])


def _visit(page: Any, base: str, address: str) -> bool:
    """Open a page; whether it is a whole HTML page (not a file, an error, a fragment)."""
    response = page.goto(base + address)
    assert response is not None
    if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
        return False
    return not page.evaluate("document.doctype === null")  # a fragment for htmx


def test_every_page_for_every_role_in_both_languages_has_no_axe_violation(
    demo: Demo,  # noqa: F811
    contexts: dict[str, Any],
    axe: Any,
) -> None:
    report = Report()
    public_pages: list[str] = []
    reached: set[str] = set()
    for role in ACCOUNTS:
        context = contexts[role]
        page = context.new_page()
        wanted = routes_for(role)
        regexes = {p: _pattern_regex(p) for p in wanted}
        literal = {"/" + p for p in ROUTES if "<" not in p} | {"/" + p for p in PUBLIC_URLS}
        samples: dict[str, str] = {p: "/" + p for p in wanted if "<" not in p}
        for language in LANGUAGES:
            _set_language(context, demo.base, language)
            visited: set[str] = set()
            queue = list(samples.values())
            while queue:
                address = queue.pop(0)
                if address in visited:
                    continue
                visited.add(address)
                if not _visit(page, demo.base, address):
                    continue
                final = urlsplit(page.url).path
                check(page, axe, report, f"{role} {language} {final}")
                if role == "anonymous" and language == LANGUAGES[0]:
                    public_pages.append(address)
                if language != LANGUAGES[0]:
                    continue
                for link in _links(page, demo.base):
                    path = link.split("?")[0]
                    if path in literal:
                        continue  # "/staff/agreements/new/" is no agreement's page
                    for pattern, regex in regexes.items():
                        if pattern not in samples and regex.match(path):
                            samples[pattern] = link
                            queue.append(link)
        report.unreached[role] = {p for p in wanted if p not in samples and p not in NOT_LINKED}
        reached |= {p for p in samples if "<" in p}
        page.close()
    # The public pages on a phone, where wide tables scroll sideways.
    phone = contexts["anonymous"].browser.new_context(locale="en-US", viewport=PHONE)
    page = phone.new_page()
    for language in LANGUAGES:
        _set_language(phone, demo.base, language)
        for address in public_pages:
            if _visit(page, demo.base, address):
                check(page, axe, report, f"anonymous {language} phone {address}")
    phone.close()
    _set_language_all(contexts, demo.base, "en")
    print(f"\naxe: {len(report.states)} page states, {len(report.violations)} violations")
    unreached = {role: sorted(p) for role, p in report.unreached.items() if p}
    assert not report.violations, report.text()
    # An entry of NOT_LINKED whose page the crawl now reaches says something no longer true.
    stale = sorted(reached & NOT_LINKED.keys())
    assert not unreached and not stale, (
        f"routes no page links to (add them to NOT_LINKED, with why): {unreached}; "
        f"routes in NOT_LINKED reached now (remove them): {stale}"
    )


def _set_language_all(contexts: dict[str, Any], base: str, language: str) -> None:
    for context in contexts.values():
        _set_language(context, base, language)


# Forms sent back with errors (sent empty): the error summary's state, for axe too.
FORMS = {
    "anonymous": ("/staff/login/", "/updates/"),
    "analyst": ("/staff/people/new/",),
    "administrator": (
        "/staff/agreements/new/",
        "/staff/parties/new/",
        "/staff/sources/new/",
        "/staff/users/new/",
        "/staff/updates/new/",
        "/staff/disclosures/propose/",
    ),
}
SEND = (
    "main form[method=post] button[type=submit]:visible, "
    "main form[method=post] button:not([type]):visible"
)


def focused(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def test_every_form_sent_back_with_errors_shows_one_focused_summary_and_passes_axe(
    demo: Demo,  # noqa: F811
    contexts: dict[str, Any],
    axe: Any,
) -> None:
    report = Report()
    for role, addresses in FORMS.items():
        context = contexts[role]
        page = context.new_page()
        for language in LANGUAGES:
            _set_language(context, demo.base, language)
            for address in addresses:
                page.goto(demo.base + address)
                page.locator(SEND).first.click()
                page.wait_for_load_state()
                label = f"{role} {language} {address} (sent empty)"
                summary = page.locator(".error-summary")
                assert summary.count() == 1, label
                assert page.title().startswith("Error:"), (label, page.title())
                assert focused(page, ".error-summary"), label
                links = summary.locator("a[href^='#']")
                for i in range(links.count()):
                    target = links.nth(i).get_attribute("href")[1:]
                    assert page.locator(f"[id='{target}']").count() == 1, (label, target)
                check(page, axe, report, label)
        page.close()
    _set_language_all(contexts, demo.base, "en")
    print(f"\naxe: {len(report.states)} form states, {len(report.violations)} violations")
    assert not report.violations, report.text()


# --- Keyboard only --------------------------------------------------------------------------


def wait_until(page: Any, script: str, timeout: float = 10) -> None:
    """Poll ``script`` (a function's body) in the page until it is true. Not
    ``wait_for_function``, which evaluates a string in the page: the CSP forbids that."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => {{ {script} }}"):
        assert time.monotonic() < deadline, f"waited in vain for: {script}"
        page.wait_for_timeout(50)


def enter_and_wait(page: Any) -> None:
    """Press Enter on what has the focus, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def tab_to(page: Any, selector: str, *, back: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab) until the focus is on ``selector``, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"the keyboard never reaches {selector}")


def test_signing_in_with_the_second_factor_by_keyboard_alone(
    browser: Any,
    demo: Demo,  # noqa: F811
    axe: Any,
) -> None:
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.goto(demo.base + "/staff/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("legislator")
    page.keyboard.press("Tab")
    assert focused(page, "#id_password")
    page.keyboard.type(demo.passwords["legislator"])
    page.keyboard.press("Tab")
    assert focused(page, "#id_otp")
    right = demo.code("legislator")
    page.keyboard.type(f"{(int(right) + 1) % 1_000_000:06d}")  # a wrong code
    enter_and_wait(page)
    # The error summary has the focus (not the username), the title says so, and the error
    # is the code field's: described on it, and the summary's link leads to it.
    assert page.title().startswith("Error: ")
    assert focused(page, ".error-summary")
    assert page.locator("#id_otp").get_attribute("aria-invalid") == "true"
    report = Report()
    check(page, axe, report, "sign-in, wrong code")
    page.keyboard.press("Tab")
    assert focused(page, ".error-summary a[href='#id_otp']")
    page.keyboard.press("Enter")
    assert focused(page, "#id_otp")
    page.keyboard.press("Shift+Tab")  # the password is never sent back: type it again
    assert focused(page, "#id_password")
    page.keyboard.type(demo.passwords["legislator"])
    page.keyboard.press("Tab")
    page.keyboard.type(fresh_code(demo, "legislator"))
    enter_and_wait(page)
    if "/staff/login/" in page.url:  # that code was taken by another test: the next one
        _used_codes["legislator"] = demo.code("legislator")
        tab_to(page, "#id_password")
        page.keyboard.type(demo.passwords["legislator"])
        page.keyboard.press("Tab")
        page.keyboard.type(fresh_code(demo, "legislator"))
        enter_and_wait(page)
    assert "/staff/login/" not in page.url
    assert page.locator(".signout").count() == 1  # signed in
    context.close()
    assert not report.violations, report.text()


def test_a_person_search_by_keyboard_announces_the_count_only(
    demo: Demo,  # noqa: F811
    contexts: dict[str, Any],
    axe: Any,
) -> None:
    page = contexts["analyst"].new_page()
    page.goto(demo.base + "/staff/people/")
    name = page.locator("table.list tbody th a").first.inner_text().strip()
    tab_to(page, "#id_q")
    page.keyboard.type(name)
    wait_until(page, "return document.getElementById('search-status').textContent.trim() !== ''")
    said = page.locator("#search-status").inner_text().strip()
    assert re.fullmatch(r"\d+ (person|people) found, best match first\.", said), said
    # The results are no live region (no 3,000 characters read out); the title follows the
    # search with the count, never the name typed (the title stays in the history).
    assert page.locator("#results").get_attribute("aria-live") is None
    assert page.locator("#results [aria-live], #results [role=status]").count() == 0
    wait_until(page, "return document.title.includes('found')")
    assert re.fullmatch(r"\d+ (person|people) found · People · Detente", page.title())
    assert name not in page.title()
    report = Report()
    check(page, axe, report, "people search, results")
    tab_to(page, "#results a")
    enter_and_wait(page)
    assert name in page.locator("h1").inner_text()
    page.close()
    assert not report.violations, report.text()


def test_confirming_a_release_from_the_queue_by_keyboard(
    demo: Demo,  # noqa: F811
    contexts: dict[str, Any],
    axe: Any,
) -> None:
    page = contexts["verifier"].new_page()
    page.goto(demo.base + "/staff/verification/?state=reported")
    item = f"#{page.locator('li.queue-item').first.get_attribute('id')}"
    form = f"{item} form[action$='/confirm/']"
    tab_to(page, f"{item} details summary")  # "Confirm the release"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page, f"{form} select[name$='-source']")
    page.keyboard.type("Counterpart embassy")  # a closed list picks by the first letters
    chosen = page.locator(f"{form} select[name$='-source'] option:checked").inner_text()
    assert chosen.startswith("Counterpart embassy"), chosen
    # Sent without evidence: the error summary takes the focus, its link leads to the field.
    tab_to(page, f"{form} button[type=submit]")
    page.keyboard.press("Enter")
    wait_until(page, "return document.activeElement.matches('.error-summary')")
    assert (
        "Say how the release was confirmed." in page.locator(f"{item} .error-summary").inner_text()
    )
    report = Report()
    check(page, axe, report, "queue, confirm sent without evidence")
    page.keyboard.press("Tab")
    assert focused(page, ".error-summary a")
    page.keyboard.press("Enter")
    assert focused(page, f"{form} textarea[name$='-evidence_text']")
    page.keyboard.type("Officer visited the home on Monday.")
    tab_to(page, f"{form} button[type=submit]")
    page.keyboard.press("Enter")
    # The outcome has the focus and is said through the status line that stays on the page.
    wait_until(page, "return document.activeElement.matches('.done')")
    assert "release confirmed" in page.locator(f"{item} .done").inner_text()
    wait_until(
        page,
        "return document.getElementById('announcer').textContent.includes('release confirmed')",
    )
    check(page, axe, report, "queue, release confirmed")
    page.close()
    assert not report.violations, report.text()


# --- Django's admin ---------------------------------------------------------------------

# Links in the admin that lead to no page to check: signing out, deleting (nothing is ever
# deleted, the admin refuses), "view on site" (leaves the admin for a page checked above),
# and the scripts' catalogue.
ADMIN_NOT_PAGES = re.compile(r"^/admin/(logout/|r/|jsi18n/|autocomplete/)|/delete/$")


def _admin_key(path: str) -> str:
    """One page of each kind: an object's pages stand for every object of the model."""
    return re.sub(r"^(/admin/[^/]+/[^/]+/)[^/]+/((change|history)/)$", r"\1<id>/\2", path)


def test_the_admin_pages_an_administrator_reaches_have_no_axe_violation(
    demo: Demo,  # noqa: F811
    contexts: dict[str, Any],
    axe: Any,
) -> None:
    """The admin's sign-in page, then every admin page an administrator reaches by its links
    (the index, each application's page, each list, each "add" form, one object's form and
    history per model), in both languages; and the sign-in and an "add" form sent empty."""
    report = Report()
    anonymous = contexts["anonymous"].new_page()
    admin = contexts["administrator"].new_page()
    kinds: dict[str, str] = {}
    for language in LANGUAGES:
        _set_language_all(contexts, demo.base, language)
        assert _visit(anonymous, demo.base, "/admin/login/")
        check(anonymous, axe, report, f"anonymous {language} /admin/login/")
        # Sent empty, past the browser's own check of required fields: Django's errors.
        anonymous.evaluate("document.getElementById('login-form').noValidate = true")
        anonymous.locator("#login-form [type=submit]").click()
        anonymous.wait_for_load_state()
        assert anonymous.locator(".errorlist, .errornote").count() >= 1
        check(anonymous, axe, report, f"anonymous {language} /admin/login/ (sent empty)")
        queue = ["/admin/"] if language == LANGUAGES[0] else list(kinds.values())
        while queue:
            address = queue.pop(0)
            if not _visit(admin, demo.base, address):
                continue
            key = _admin_key(urlsplit(admin.url).path)
            kinds.setdefault(key, address)
            check(admin, axe, report, f"administrator {language} {key}")
            if language != LANGUAGES[0]:
                continue
            for link in _links(admin, demo.base):
                path = link.split("?")[0]
                if not path.startswith("/admin/") or ADMIN_NOT_PAGES.search(path):
                    continue
                if _admin_key(path) not in kinds and path not in queue:
                    kinds[_admin_key(path)] = path
                    queue.append(path)
        assert _visit(admin, demo.base, "/admin/agreements/party/add/")
        admin.evaluate("document.getElementById('party_form').noValidate = true")
        admin.locator("#party_form [type=submit][name=_save]").click()
        admin.wait_for_load_state()
        assert admin.locator(".errornote").count() == 1
        check(admin, axe, report, f"administrator {language} party add (sent empty)")
    anonymous.close()
    admin.close()
    _set_language_all(contexts, demo.base, "en")
    print(f"\naxe: {len(report.states)} admin page states, {len(report.violations)} violations")
    # What an administrator must reach: the index, and per model its list and its forms.
    for model in ADMIN_MODELS:
        for page in ("", "<id>/change/"):
            assert f"/admin/{model}/{page}" in kinds, (model, page, sorted(kinds))
    assert not report.violations, report.text()


# Every model an administrator may open in the admin (tests/security/test_personas.py).
ADMIN_MODELS = tuple(label.replace(".", "/") for label in ADMIN_PAGES)
