"""Writing the emails: digests and confirmation notes, as text and HTML, in the
subscriber's language, from templates.

A digest is rendered once per (digest, language) with two placeholders, and each
message then only substitutes that subscriber's signed links: at a hundred thousand
messages, template rendering once per subscriber would cost more than the sending.
The MIME message is assembled here byte by byte (quoted-printable UTF-8 parts) for the
same reason; tests parse every message back with the standard library to check it.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from detente.agreements.models import in_language
from detente.audit import checkpoints
from detente.evidence.models import Lifecycle
from detente.mailing import conf, tokens
from detente.mailing.digests import PublicView
from detente.mailing.models import Digest, MailingList, Subscriber
from detente.registry.status import Category

UNSUBSCRIBE_SLOT = "@@UNSUBSCRIBE_URL@@"
PREFERENCES_SLOT = "@@PREFERENCES_URL@@"


def absolute(path: str) -> str:
    return conf.text("PUBLIC_URL") + path


def unsubscribe_url(token: str) -> str:
    return absolute(reverse("mailing:unsubscribe", args=[token]))


def preferences_url(token: str) -> str:
    return absolute(reverse("mailing:preferences", args=[token]))


def sender() -> tuple[str, str]:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name, address


def sender_domain() -> str:
    return sender()[1].rpartition("@")[2] or "localhost"


def unsubscribe_mailto() -> str:
    return conf.text("UNSUBSCRIBE_MAILTO") or f"unsubscribe@{sender_domain()}"


@dataclass(frozen=True)
class Parts:
    """A rendered email before the per-subscriber links are filled in."""

    language: str
    subject: str
    text: str
    html: str


# --- Digests ---------------------------------------------------------------------------


def _event_line(event: dict[str, Any], view: PublicView) -> str | None:
    names = view.names
    kind = event["kind"]
    if kind == "agreement":
        return _("This agreement is now public.")
    if kind == "confirmed":
        handle = event["handle"]
        who = f"{names[handle]} ({handle})" if handle in names else handle
        if event.get("category") == Category.CONDITIONAL:
            return _("%(who)s: release on conditions independently confirmed.") % {"who": who}
        return _("%(who)s: release independently confirmed.") % {"who": who}
    if kind == "named":
        handle = event["handle"]
        if handle not in names:
            return None  # no longer public: the name stays out of the mail
        return _("%(name)s (%(handle)s) is now named publicly.") % {
            "name": names[handle],
            "handle": handle,
        }
    if kind == "milestone":
        labels = {m.key: m.label for m in view.progress.milestones}
        if event["key"] not in labels:
            return None
        day = date_format(dt.date.fromisoformat(event["date"]), "DATE_FORMAT")
        return _("%(milestone)s: %(date)s.") % {"milestone": labels[event["key"]], "date": day}
    if kind == "stage":
        if event.get("stage") not in Lifecycle.values:
            return None
        day = date_format(dt.date.fromisoformat(event["date"]), "DATE_FORMAT")
        return _("Stage of the agreement: %(stage)s (%(date)s).") % {
            "stage": Lifecycle(event["stage"]).label,
            "date": day,
        }
    return None


def digest_sections(digest: Digest, views: dict[str, PublicView]) -> list[dict[str, Any]]:
    """The digest's sections as the public sees them now, in the active language."""
    sections = []
    for section in digest.content.get("sections", []):
        view = views.get(section["agreement"])
        if view is None:
            continue  # the agreement is no longer public
        lines = [line for e in section["events"] if (line := _event_line(e, view))]
        if not lines:
            continue
        p = view.progress
        sections.append(
            {
                "title": in_language(translation.get_language(), view.title, view.title_es),
                "url": absolute(reverse("web:agreement", args=[view.slug])),
                "promised": p.promised_text,
                "claimed": p.claimed,
                "confirmed": p.confirmed,
                "lines": lines,
            }
        )
    return sections


def render_digest(
    digest: Digest, mailing_list: MailingList, views: dict[str, PublicView], language: str
) -> Parts | None:
    """Subject, text and HTML of a digest in one language; None when nothing in it is
    public any more."""
    with translation.override(language):
        sections = digest_sections(digest, views)
        if not sections:
            return None
        count = sum(len(s["lines"]) for s in sections)
        title = mailing_list.title
        subject = ngettext(
            "Detente: %(count)d update on %(list)s",
            "Detente: %(count)d updates on %(list)s",
            count,
        ) % {"count": count, "list": title}
        context = {
            "list_title": title,
            "sections": sections,
            "unsubscribe_url": UNSUBSCRIBE_SLOT,
            "preferences_url": PREFERENCES_SLOT,
            "site_url": absolute("/"),
            "language": language,
            # The ledger's newest signed checkpoint, so that every subscriber's mailbox
            # holds a copy off the server: a ledger later cut short or rewritten no longer
            # matches it (docs/operations.md).
            "checkpoint": checkpoints.newest_published(),
            "checkpoint_url": absolute(reverse("web:checkpoint")),
        }
        text = render_to_string("mailing/email/digest.txt", context)
        html = render_to_string("mailing/email/digest.html", context)
    return Parts(language, subject, text, html)


# --- Confirmation notes -------------------------------------------------------------------


def render_notice(subscriber: Subscriber, kind: str, lists: list[MailingList]) -> Parts:
    """The confirmation request ("confirm") or the note to an address that is already
    subscribed ("already"), with its links filled in."""
    assert subscriber.email is not None  # noqa: S101 - callers never pass erased ones
    language = subscriber.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context: dict[str, Any] = {
            "lists": [ml.title for ml in lists],
            "site_url": absolute("/"),
            "days": conf.number("CONFIRM_MAX_AGE_DAYS"),
        }
        if kind == "confirm":
            token = tokens.make(
                tokens.CONFIRM, subscriber.pk, subscriber.email_hash, tuple(ml.pk for ml in lists)
            )
            context["confirm_url"] = absolute(reverse("mailing:confirm", args=[token]))
            subject = _("Please confirm your subscription to Detente updates")
        else:
            token = tokens.make(tokens.PREFERENCES, subscriber.pk, subscriber.email_hash)
            context["preferences_url"] = preferences_url(token)
            subject = _("You are already subscribed to Detente updates")
        text = render_to_string(f"mailing/email/{kind}.txt", context)
        html = render_to_string(f"mailing/email/{kind}.html", context)
    return Parts(language, subject, text, html)


def notice_message(subscriber: Subscriber, parts: Parts) -> EmailMultiAlternatives:
    assert subscriber.email is not None  # noqa: S101
    message = EmailMultiAlternatives(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={"Content-Language": parts.language, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(parts.html, "text/html")
    _no_tracking(message)
    return message


def _no_tracking(message: EmailMultiAlternatives) -> None:
    """Anymail ESPs: opens and clicks are tracked only if an administrator turned it on."""
    tracking = conf.flag("TRACKING")
    message.track_opens = tracking  # type: ignore[attr-defined]
    message.track_clicks = tracking  # type: ignore[attr-defined]


# --- Bulk messages ----------------------------------------------------------------------


def _qp(text: str) -> bytes:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _header(value: str) -> str:
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _list_id(mailing_list: MailingList) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        title = mailing_list.title.replace('"', "'")
    label = f'"{title}"' if title.isascii() else _header(title)
    return f"{label} <{mailing_list.slug}.lists.{sender_domain()}>"


@dataclass(frozen=True)
class Envelope:
    """One bulk message: who it goes to and its bytes (CRLF lines, not dot-stuffed)."""

    recipient: str
    data: bytes


class BulkWriter:
    """Fills one digest's rendered parts with each subscriber's links and headers."""

    def __init__(self, digest: Digest, mailing_list: MailingList, parts: Parts) -> None:
        self.parts = parts
        self.digest_id = digest.pk
        self.list_id = mailing_list.pk
        self.unsubscribe_signer = tokens.FastSigner(tokens.UNSUBSCRIBE)
        self.preferences_signer = tokens.FastSigner(tokens.PREFERENCES)
        # reverse() once, not twice per message.
        self.unsubscribe_at = unsubscribe_url("TOKEN").split("TOKEN")
        self.preferences_at = preferences_url("TOKEN").split("TOKEN")
        name, address = sender()
        self.from_header = formataddr((name, address), charset="utf-8")
        self.subject = _header(parts.subject)
        self.list_header = _list_id(mailing_list)
        self.mailto = unsubscribe_mailto()
        self.domain = sender_domain()
        self.secret = hashlib.sha256(settings.SECRET_KEY.encode()).digest()

    def links(self, subscriber_id: int, email_hash: str) -> tuple[str, str, str]:
        token = self.unsubscribe_signer.make(subscriber_id, email_hash, (self.list_id,))
        prefs = self.preferences_signer.make(subscriber_id, email_hash)
        unsub = token.join(self.unsubscribe_at)
        return token, unsub, prefs.join(self.preferences_at)

    def message_id(self, subscriber_id: int) -> str:
        # Stable per (digest, subscriber), so a retried message keeps its id, and opaque,
        # so it does not show the subscriber's row number.
        tag = hashlib.blake2b(
            f"{self.digest_id}:{subscriber_id}".encode(), key=self.secret[:32], digest_size=10
        ).hexdigest()
        return f"<digest-{self.digest_id}.{tag}@{self.domain}>"

    def headers(self, recipient: str, subscriber_id: int, token: str, unsub: str) -> list[str]:
        mailto = f"mailto:{self.mailto}?subject={quote('unsubscribe ' + token, safe='')}"
        return [
            f"From: {self.from_header}",
            f"To: {recipient}",
            f"Subject: {self.subject}",
            f"Date: {format_datetime(timezone.now())}",
            f"Message-ID: {self.message_id(subscriber_id)}",
            "MIME-Version: 1.0",
            f"Content-Language: {self.parts.language}",
            f"List-Id: {self.list_header}",
            f"List-Unsubscribe: <{unsub}>,\r\n <{mailto}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Precedence: bulk",
            "Auto-Submitted: auto-generated",
        ]

    def envelope(self, recipient: str, subscriber_id: int, email_hash: str) -> Envelope:
        token, unsub, prefs = self.links(subscriber_id, email_hash)
        text = self.parts.text.replace(UNSUBSCRIBE_SLOT, unsub).replace(PREFERENCES_SLOT, prefs)
        html = self.parts.html.replace(UNSUBSCRIBE_SLOT, unsub).replace(PREFERENCES_SLOT, prefs)
        boundary = "=_detente_" + secrets.token_hex(12)
        head = self.headers(recipient, subscriber_id, token, unsub)
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        data = b"".join(
            (
                "\r\n".join(head).encode("ascii"),
                b"\r\n\r\n",
                f"--{boundary}\r\n".encode(),
                b'Content-Type: text/plain; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                _qp(text),
                f"\r\n--{boundary}\r\n".encode(),
                b'Content-Type: text/html; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                _qp(html),
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        return Envelope(recipient, data)

    def django_message(self, recipient: str, subscriber_id: int, email_hash: str) -> Any:
        """The same message for a non-SMTP Django backend (console, locmem, Anymail)."""
        token, unsub, prefs = self.links(subscriber_id, email_hash)
        mailto = f"mailto:{self.mailto}?subject={quote('unsubscribe ' + token, safe='')}"
        message = EmailMultiAlternatives(
            subject=self.parts.subject,
            body=self.parts.text.replace(UNSUBSCRIBE_SLOT, unsub).replace(PREFERENCES_SLOT, prefs),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            headers={
                "Message-ID": self.message_id(subscriber_id),
                "Content-Language": self.parts.language,
                "List-Id": self.list_header,
                "List-Unsubscribe": f"<{unsub}>, <{mailto}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Precedence": "bulk",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(
            self.parts.html.replace(UNSUBSCRIBE_SLOT, unsub).replace(PREFERENCES_SLOT, prefs),
            "text/html",
        )
        _no_tracking(message)
        return message


_DOT = re.compile(rb"(?m)^\.")


def dot_stuffed(data: bytes) -> bytes:
    """SMTP transparency (RFC 5321 4.5.2): a line starting with "." gets another."""
    return _DOT.sub(b"..", data)
