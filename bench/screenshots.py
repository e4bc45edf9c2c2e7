"""The user guide's screenshots (docs/img/*.png), taken again from a fresh demo.

Run by hand after a change to a page the guide shows::

    .venv/bin/python bench/screenshots.py            # writes docs/img/
    .venv/bin/python bench/screenshots.py --out /tmp/shots --keep

It loads the demo into a scratch data directory (``detente migrate`` and ``detente demo``),
starts ``detente serve --port 8791`` on it with a small SMTP server of its own (so the
readers it subscribes can confirm from their email), signs in with the demo logins
(demo-logins.txt, ``detente user totp-code``) and walks through the pages in Debian's
Chromium (``make chromium``): laptop pages at 1366x768, phone pages at 390x844, in Spanish
where the guide shows Spanish. Each PNG is reduced to a 256-colour palette so that it
stays well under 200 kB. The demo is seeded, so the same names come back each time; the
dates on the pages are the day it runs.

Look at every image before committing it: a figure that disagrees with another page,
English on a Spanish page or a code where a word belongs is a fault to report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from detente.accounts import totp  # noqa: E402 - after the path above

PORT = 8791
BASE = f"http://127.0.0.1:{PORT}"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
AGREEMENT = "/agreements/cuba-us-2014/"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READERS = ("reader.one@example.org", "reader.two@example.org", "lectora@example.org")


class Mailbox:
    """The messages the server sends, kept in memory by a local SMTP server (aiosmtpd)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    # aiosmtpd calls handle_<SMTP command> on the handler.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def link_for(self, address: str, pattern: str) -> str:
        """The first link matching ``pattern`` in the latest message to ``address``."""
        for _ in range(100):
            with self.lock:
                mine = [data for to, data in self.received if address in to]
            if mine:
                body = message_from_bytes(mine[-1], policy=policy.default).get_body(("plain",))
                assert body is not None
                found = re.search(pattern, str(body.get_content()))  # type: ignore[attr-defined]
                if found:
                    return found.group(0)
            time.sleep(0.1)
        raise RuntimeError(f"no message to {address} with a link like {pattern}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server(data: Path) -> Iterator[tuple[dict[str, str], Mailbox]]:
    """The demo in ``data``, served on PORT, its mail going to a Mailbox."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    env = {
        **os.environ,
        "DETENTE_DATA_DIR": str(data),
        "DETENTE_TASKS": "immediate",  # confirmations and digests leave at once
        "DETENTE_EMAIL_HOST": "127.0.0.1",
        "DETENTE_EMAIL_PORT": str(controller.port),
        "DETENTE_PUBLIC_URL": BASE,
    }
    env.pop("DATABASE_URL", None)  # the embedded database, in the scratch directory
    cli = [sys.executable, "-m", "detente.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603 - our own server, loopback only
        [*cli, "serve", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(BASE + "/methods/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the server did not start on {BASE}")
        yield env, mailbox
    finally:
        server.terminate()
        server.wait(timeout=20)
        controller.stop()


class Shots:
    def __init__(self, browser: Any, env: dict[str, str], out: Path) -> None:
        self.browser = browser
        self.env = env
        self.out = out
        rows = (Path(env["DETENTE_DATA_DIR"]) / "demo-logins.txt").read_text().splitlines()
        self.passwords = {user: pw for user, pw, _role in (r.split("\t") for r in rows)}
        self.taken: list[Path] = []

    def detente(self, *args: str) -> str:
        return subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "detente.cli", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def page(self, *, spanish: bool = False, phone: bool = False) -> Any:
        context = self.browser.new_context(
            locale="es-ES" if spanish else "en-US",
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
        )
        return context.new_page()

    def sign_in(self, page: Any, username: str, *, spanish: bool = False) -> None:
        """On the sign-in page: the demo account's password and a current code."""
        code = re.search(r"\b\d{6}\b", self.detente("user", "totp-code", username))
        assert code is not None
        labels = (
            ("Nombre de usuario", "Contraseña", "Código de autenticación")
            if spanish
            else ("Username", "Password", "Authentication code")
        )
        page.get_by_label(labels[0]).fill(username)
        page.get_by_label(labels[1], exact=True).fill(self.passwords[username])
        page.get_by_label(labels[2]).fill(code.group(0))
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_load_state()

    def take(self, page: Any, name: str, *, full: bool = False) -> None:
        path = self.out / name
        page.screenshot(path=str(path), full_page=full, animations="disabled")
        self.taken.append(path)


def public_pages(s: Shots) -> None:
    page = s.page(phone=True)
    page.goto(BASE + AGREEMENT)
    s.take(page, "public-agreement-phone.png")
    page.context.close()


def legislature(s: Shots) -> None:
    page = s.page()
    page.goto(BASE + "/staff/login/")
    s.sign_in(page, "legislator")
    page.goto(BASE + AGREEMENT)
    page.locator("main a[href^='/people/']").first.scroll_into_view_if_needed()
    s.take(page, "legislature-agreement.png")
    page.context.close()


def analyst_in_spanish(s: Shots) -> None:
    """Search, a person page and a refused claim, in Spanish on a phone."""
    person = "P-0060"  # on the NGO's list, on no agreement
    ident = json.loads(s.detente("person", "show", person, "--json"))
    identity = ident.get("identity", ident)
    query = f"{identity['given_names'].split()[0]} {identity['paternal_surname']}".lower()
    query = query.translate(str.maketrans("áéíóúñ", "aeioun"))  # as typed on a phone
    page = s.page(spanish=True, phone=True)
    page.goto(BASE + "/staff/login/")
    s.sign_in(page, "analyst", spanish=True)
    page.get_by_role("link", name="Personas").click()
    page.get_by_label("Nombre o código").fill(query)
    result = page.locator(f"#results a[href='/staff/people/{person}/']")
    result.wait_for()
    s.take(page, "staff-search-es-phone.png")  # the list of everyone below runs on
    result.click()
    page.wait_for_load_state()
    s.take(page, "staff-person-es-phone.png", full=True)
    page.get_by_role("link", name="Registrar una afirmación").click()
    page.get_by_label("Fuente", exact=True).select_option(label="Relatives of the detained (C)")
    page.get_by_label("Lo que dice la fuente").select_option("detained")
    page.get_by_label("Fecha del hecho").fill("2099-01-01")
    page.get_by_label("Evidencias", exact=True).fill("Visita familiar el domingo.")
    page.get_by_role("button", name="Registrar la afirmación").click()
    page.wait_for_load_state()
    s.take(page, "staff-claim-error-es-phone.png", full=True)  # nothing saved
    page.context.close()


def invite_and_enrol(s: Shots) -> None:
    page = s.page()
    page.goto(BASE + "/staff/users/new/")
    s.sign_in(page, "admin")
    page.get_by_label("Username").fill("nuevo.analista")
    page.get_by_label("E-mail address").fill("nuevo.analista@example.org")
    page.get_by_label("Analyst: reads and records").check()
    s.take(page, "staff-invite.png")
    page.get_by_role("button", name="Create the account and the link").click()
    page.wait_for_load_state()
    s.take(page, "staff-invited.png")
    link = page.get_by_label("Link").input_value()
    page.context.close()

    # The invitee, on a phone, in Spanish.
    page = s.page(spanish=True, phone=True)
    page.goto(link)
    s.take(page, "staff-welcome-es-phone.png", full=True)
    key = page.locator("code.secret").inner_text()
    page.locator("input[name=password1]").fill("faro-huerto-47-azul")
    page.locator("input[name=password2]").fill("faro-huerto-47-azul")
    page.locator("input[name=code]").fill(totp.totp(totp.decode_secret(key), time.time()))
    page.locator("form.ov-form button[type=submit]").click()
    page.wait_for_load_state()
    s.take(page, "staff-recovery-codes-es-phone.png", full=True)
    page.context.close()


def verifier(s: Shots, mailbox: Mailbox) -> None:
    """The sign-in page, the dashboard, the queue, the People downloads, a disclosure to
    approve, and the mailing lists (with readers subscribed and news to send)."""
    for address in READERS:
        subscribe(s, mailbox, address)
    proposed = s.detente(
        "disclosure",
        "propose",
        "--audience",
        "public",
        "--agreement",
        "gradual-2025",
        "--reason",
        "The NGO published these names on 20 January.",
    )
    number = re.search(r"#(\d+)", proposed)
    assert number is not None

    page = s.page()
    page.goto(BASE + "/staff/")
    s.take(page, "staff-login.png")
    s.sign_in(page, "verifier")
    s.take(page, "staff-dashboard.png", full=True)

    page.goto(BASE + "/staff/people/?agreement=cuba-us-2014&state=reported")
    page.locator("p.downloads").scroll_into_view_if_needed()
    s.take(page, "staff-people-download.png")

    # The whole page: the warning, each person's standing and mark, the decision form.
    page.goto(BASE + f"/staff/disclosures/{number.group(1)}/")
    s.take(page, "staff-disclosure-approve.png", full=True)

    page.goto(BASE + "/staff/verification/?state=reported")
    item = page.locator("li.queue-item").first
    item.get_by_text("Confirm the release").click()
    s.take(page, "staff-queue.png")
    form = item.locator("form[action$='/confirm/']")
    form.get_by_label("On whose word").select_option(
        label="Counterpart embassy, human rights officer (A)"
    )
    form.get_by_label("Evidence", exact=True).fill("Officer visited the home on Monday.")
    form.get_by_role("button", name="Confirm", exact=True).click()
    page.locator(".queue-item .done").wait_for()

    page.goto(BASE + "/staff/updates/")
    s.take(page, "staff-mailing-lists.png")
    page.goto(BASE + "/staff/updates/all-updates/send/")
    s.take(page, "staff-mailing-send.png")
    page.context.close()


def subscribe(s: Shots, mailbox: Mailbox, address: str) -> None:
    """A reader follows every public agreement and confirms from the email."""
    page = s.page()
    page.goto(BASE + "/")
    page.get_by_role("link", name="Follow by email").click()
    page.get_by_label("All updates").check()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    page.goto(mailbox.link_for(address, re.escape(BASE) + r"/\S+/confirm/\S+"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.context.close()


def shrink(path: Path) -> int:
    """A 256-colour palette without dithering: crisp text, a fraction of the bytes."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data directory")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="detente-screenshots-"))
    try:
        with demo_server(data) as (env, mailbox), sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            s = Shots(browser, env, args.out)
            # Before anything changes the figures, then what changes them.
            public_pages(s)
            legislature(s)
            analyst_in_spanish(s)
            invite_and_enrol(s)
            verifier(s, mailbox)
            browser.close()
        for path in s.taken:
            print(f"{path}  {shrink(path) // 1024} kB")
    finally:
        if args.keep:
            print(f"data directory kept: {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
