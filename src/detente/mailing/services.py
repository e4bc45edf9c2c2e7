"""Writes for email updates.

Public actions (subscribe, confirm, unsubscribe, preferences) are authorised by the
signed link alone and leave their record in the subscription timestamps and the consent
records. Operator and staff actions (lists, erasure, export, suppression) check the
actor's permission and append an audit entry in the same transaction; the ledger only
ever holds the keyed hash of an address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.models import Agreement, Party
from detente.audit import ledger
from detente.core.errors import check_slug, invalid
from detente.mailing import addresses, conf, tokens
from detente.mailing.models import (
    Consent,
    Frequency,
    ListKind,
    MailchimpDeletion,
    MailingList,
    OutboxMessage,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from detente.mailing.notice import notice_hash, notice_text
from detente.mailing.selectors import offered_lists

# A repeat sign-up sends at most one email per address in this window.
NOTICE_INTERVAL = dt.timedelta(minutes=10)
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def _language(value: object) -> str:
    if value not in LANGUAGES:
        raise invalid(
            "language",
            _("Unknown language “%(value)s”; choose one of %(choices)s.")
            % {"value": value, "choices": ", ".join(LANGUAGES)},
        )
    return str(value)


def _check_notice(language: str, shown_hash: object) -> str:
    """The notice in force, provided it is the one the person was shown."""
    text = notice_text(language)
    if shown_hash != notice_hash(text):
        raise invalid(
            "notice",
            _("The notice has changed since the page was opened. Please read it again."),
        )
    return text


def _after_commit_notice(subscriber_id: int, kind: str, list_ids: Iterable[int]) -> None:
    from detente.mailing import tasks

    ids = sorted(list_ids)
    transaction.on_commit(lambda: tasks.send_notice.enqueue(subscriber_id, kind, ids))


def _after_commit_mailchimp(subscriber_id: int) -> None:
    if conf.flag("MAILCHIMP_ENABLED"):
        from detente.mailing import tasks

        transaction.on_commit(lambda: tasks.mailchimp_push.enqueue(subscriber_id))


# --- Public actions ------------------------------------------------------------------


def subscribe(
    *,
    email: object,
    list_ids: Iterable[object],
    language: object,
    notice: object,
    notice_language: object = None,
) -> None:
    """A sign-up from the public form: pending subscriptions and one confirmation email.

    ``notice`` is the hash of the notice the form showed, in ``notice_language`` (the
    page's language, which may differ from the language chosen for the emails).

    Nothing is stored or sent unless at least one offered list is chosen. The outcome
    looks the same to the caller whether the address was known, pending, confirmed or
    suppressed; at most one email goes to an address every ten minutes.
    """
    offered = {ml.pk: ml for ml in offered_lists()}
    chosen: list[MailingList] = []
    # Every field is checked before anything is refused: the form shows all its errors
    # at once rather than one per try.
    problems: dict[str, list[str]] = {}

    def check(field: str, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {field: exc.messages}
            for name, messages in found.items():
                problems.setdefault(name, []).extend(messages)
            return None

    for raw in list_ids:
        try:
            key = int(str(raw))
        except ValueError:
            key = -1
        if key not in offered:
            problems["lists"] = [_("One of the chosen lists is not offered here.")]
            break
        if offered[key] not in chosen:
            chosen.append(offered[key])
    if not chosen and "lists" not in problems:
        problems["lists"] = [_("Select at least one mailing list.")]
    address = check("email", lambda: addresses.canonical(email))
    lang = check("language", lambda: _language(language))
    if lang is not None:
        check(
            "notice",
            lambda: _check_notice(
                lang if notice_language is None else _language(notice_language), notice
            ),
        )
    if problems:
        raise ValidationError(problems)
    digest = addresses.address_hash(address)
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email_hash=digest).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=address, email_hash=digest, language=lang)
        elif subscriber.status in (SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
            return  # suppressed: nothing is sent, and the page says the same as always
        elif subscriber.status == SubscriberStatus.ERASED:
            # Someone erased earlier signs up again: a fresh start, still double opt-in.
            subscriber.email = address
            subscriber.status = SubscriberStatus.ACTIVE
            subscriber.status_reason = ""
            subscriber.status_changed_at = now
            subscriber.language = lang
            subscriber.save()
        existing = {
            s.mailing_list_id: s
            for s in Subscription.objects.filter(subscriber=subscriber, mailing_list__in=chosen)
        }
        confirmed_any = Subscription.objects.filter(
            subscriber=subscriber, status=SubscriptionStatus.CONFIRMED
        ).exists()
        if not confirmed_any and subscriber.language != lang:
            # Only an address with nothing confirmed takes a language from an anonymous
            # form; a confirmed subscriber changes it on their preferences page.
            subscriber.language = lang
            subscriber.save(update_fields=["language"])
        waiting = []
        for ml in chosen:
            sub = existing.get(ml.pk)
            if sub is None:
                Subscription.objects.create(
                    subscriber=subscriber, mailing_list=ml, requested_at=now
                )
                waiting.append(ml.pk)
            elif sub.status != SubscriptionStatus.CONFIRMED:
                sub.status = SubscriptionStatus.PENDING
                sub.requested_at = now
                sub.save(update_fields=["status", "requested_at"])
                waiting.append(ml.pk)
        if subscriber.last_notice_at and now - subscriber.last_notice_at < NOTICE_INTERVAL:
            return
        subscriber.last_notice_at = now
        subscriber.save(update_fields=["last_notice_at"])
        if waiting:
            _after_commit_notice(subscriber.pk, "confirm", waiting)
        else:
            _after_commit_notice(subscriber.pk, "already", [])


@dataclass(frozen=True)
class Linked:
    """A subscriber reached through a valid link, and the lists the link names."""

    subscriber: Subscriber
    lists: list[MailingList]


def open_link(purpose: str, token: str) -> Linked:
    """Check a link; raise ``tokens.BadToken`` if it is not valid for this purpose."""
    claims = tokens.read(purpose, token)
    subscriber = Subscriber.objects.filter(pk=claims.subscriber).first()
    if (
        subscriber is None
        or subscriber.email is None
        or subscriber.email_hash[5:13] != claims.hash_prefix
    ):
        raise tokens.BadToken(purpose)
    lists = list(
        MailingList.objects.filter(pk__in=claims.lists)
        .select_related("agreement", "party")
        .order_by("slug")
    )
    if len(lists) != len(set(claims.lists)):
        raise tokens.BadToken(purpose)
    return Linked(subscriber, lists)


def confirm(*, token: str, notice: object) -> Linked:
    """The POST behind the confirmation link: the lists named in the link are confirmed,
    and a consent record keeps the time, the lists and the exact notice shown."""
    linked = open_link(tokens.CONFIRM, token)
    subscriber = linked.subscriber
    if subscriber.status != SubscriberStatus.ACTIVE:
        raise tokens.BadToken(tokens.CONFIRM)
    text = _check_notice(subscriber.language, notice)
    now = timezone.now()
    with transaction.atomic():
        for ml in linked.lists:
            sub, _created = Subscription.objects.get_or_create(
                subscriber=subscriber, mailing_list=ml, defaults={"requested_at": now}
            )
            if sub.status != SubscriptionStatus.CONFIRMED:
                sub.status = SubscriptionStatus.CONFIRMED
                sub.confirmed_at = now
                sub.unsubscribed_at = None
                sub.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
        Consent.objects.create(
            subscriber=subscriber,
            at=now,
            action="confirm",
            lists=[ml.slug for ml in linked.lists],
            language=subscriber.language,
            notice_text=text,
            notice_hash=notice_hash(text),
        )
        _mark_mailchimp(subscriber)
    return linked


def unsubscribe(*, token: str) -> Linked:
    """One click: leave the one list the link names. Idempotent; a bad link raises
    ``tokens.BadToken`` and changes nothing."""
    linked = open_link(tokens.UNSUBSCRIBE, token)
    if len(linked.lists) != 1:
        raise tokens.BadToken(tokens.UNSUBSCRIBE)
    _leave(linked.subscriber, linked.lists)
    return linked


def _leave(subscriber: Subscriber, lists: Iterable[MailingList]) -> int:
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Subscription.objects.filter(subscriber=subscriber, mailing_list__in=list(lists))
            .exclude(status=SubscriptionStatus.UNSUBSCRIBED)
            .update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now)
        )
        if changed:
            _mark_mailchimp(subscriber)
    return changed


def _mark_mailchimp(subscriber: Subscriber) -> None:
    if conf.flag("MAILCHIMP_ENABLED"):
        Subscriber.objects.filter(pk=subscriber.pk).update(mailchimp_dirty=True)
        _after_commit_mailchimp(subscriber.pk)


def set_preferences(
    *,
    subscriber: Subscriber,
    list_ids: Iterable[object],
    language: object,
    notice: object,
) -> None:
    """The preferences page: exactly these lists, in this language.

    The link came by email, so it proves the address: lists added here are confirmed at
    once, with a consent record like a confirmation. Lists left out are unsubscribed.
    """
    lang = _language(language)
    offered = {ml.pk: ml for ml in offered_lists()}
    current = {
        s.mailing_list_id: s
        for s in Subscription.objects.filter(subscriber=subscriber).select_related("mailing_list")
    }
    wanted: dict[int, MailingList] = {}
    for raw in list_ids:
        try:
            key = int(str(raw))
        except ValueError:
            key = -1
        if key in offered:
            wanted[key] = offered[key]
        elif key in current and current[key].status == SubscriptionStatus.CONFIRMED:
            wanted[key] = current[key].mailing_list  # a private list they already have
        else:
            raise invalid("lists", _("One of the chosen lists is not offered here."))
    added = [
        ml
        for key, ml in wanted.items()
        if key not in current or current[key].status != SubscriptionStatus.CONFIRMED
    ]
    # The page, and so its notice, was in the subscriber's language before this change.
    shown_in = subscriber.language
    text = _check_notice(shown_in, notice) if added else ""
    now = timezone.now()
    with transaction.atomic():
        if subscriber.language != lang:
            subscriber.language = lang
            subscriber.save(update_fields=["language"])
        leaving = [
            s.mailing_list
            for key, s in current.items()
            if key not in wanted and s.status != SubscriptionStatus.UNSUBSCRIBED
        ]
        _leave(subscriber, leaving)
        for ml in added:
            Subscription.objects.update_or_create(
                subscriber=subscriber,
                mailing_list=ml,
                defaults={
                    "status": SubscriptionStatus.CONFIRMED,
                    "confirmed_at": now,
                    "unsubscribed_at": None,
                },
                create_defaults={
                    "status": SubscriptionStatus.CONFIRMED,
                    "confirmed_at": now,
                    "requested_at": now,
                },
            )
        if added:
            Consent.objects.create(
                subscriber=subscriber,
                at=now,
                action="preferences",
                lists=[ml.slug for ml in added],
                language=shown_in,
                notice_text=text,
                notice_hash=notice_hash(text),
            )
            _mark_mailchimp(subscriber)


def leave_all(*, subscriber: Subscriber) -> int:
    return _leave(subscriber, MailingList.objects.all())


# --- Erasure and suppression -----------------------------------------------------------


def erase(subscriber: Subscriber, *, actor: User | None = None) -> None:
    """Erase everything held about a subscriber but the keyed hash of the address.

    The hash keeps the address suppressed (nothing more is sent to it unless the person
    signs up and confirms again). Mailchimp, when used, is asked to delete the member
    permanently; until it has, only Mailchimp's own member id (the MD5 of the address)
    is kept for that purpose. The audit entry holds the keyed hash, never the address.
    """
    if actor is not None:
        require(actor, Action.MANAGE)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.email is not None and conf.flag("MAILCHIMP_ENABLED"):
            from detente.mailing.mailchimp import member_hash

            MailchimpDeletion.objects.get_or_create(member_hash=member_hash(subscriber.email))
        Subscription.objects.filter(subscriber=subscriber).delete()
        Consent.objects.filter(subscriber=subscriber).delete()
        OutboxMessage.objects.filter(subscriber=subscriber).delete()
        subscriber.email = None
        subscriber.language = ""
        subscriber.status = SubscriberStatus.ERASED
        subscriber.status_reason = "erased on request"
        subscriber.status_changed_at = timezone.now()
        subscriber.last_notice_at = None
        subscriber.mailchimp_dirty = False
        subscriber.save()
        ledger.append(actor, "mailing.erase", subscriber, {"address": subscriber.email_hash})
    if conf.flag("MAILCHIMP_ENABLED"):
        from detente.mailing import tasks

        transaction.on_commit(tasks.mailchimp_deletions.enqueue)


def suppress(
    subscriber: Subscriber, status: str, reason: str, *, actor: User | None = None
) -> bool:
    """Stop all mail to an address at once (hard bounce, complaint, or an operator)."""
    if status not in (SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED):
        raise invalid("status", _("Suppress as bounced or complained."))
    if actor is not None:
        require(actor, Action.MANAGE)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status in (SubscriberStatus.ERASED, status):
            return False
        subscriber.status = status
        subscriber.status_reason = reason[:64]
        subscriber.status_changed_at = timezone.now()
        subscriber.save(update_fields=["status", "status_reason", "status_changed_at"])
        ledger.append(
            actor,
            "mailing.suppress",
            subscriber,
            {"address": subscriber.email_hash, "status": status, "reason": reason[:64]},
        )
        _mark_mailchimp(subscriber)
    return True


def find_subscriber(email: object) -> Subscriber | None:
    """Look an address up by its keyed hash (finds erased ones too)."""
    return Subscriber.objects.filter(
        email_hash=addresses.address_hash(addresses.canonical(email))
    ).first()


def export_for_operator(*, actor: User, subscriber: Subscriber) -> dict[str, object]:
    """The privacy export, asked for by an operator on someone's behalf (audited)."""
    from detente.mailing.selectors import subscriber_export

    require(actor, Action.MANAGE)
    data = subscriber_export(subscriber)
    with transaction.atomic():
        ledger.append(actor, "mailing.export", subscriber, {"address": subscriber.email_hash})
    return data


# --- Lists (staff) -----------------------------------------------------------------------


def _check_frequency(frequency: object) -> None:
    if frequency not in Frequency.values:
        raise invalid(
            "frequency",
            _("Unknown frequency “%(value)s”; use immediate, daily or weekly.")
            % {"value": frequency},
        )


def list_create(
    *,
    actor: User,
    slug: str,
    kind: str,
    agreement: Agreement | None = None,
    party: Party | None = None,
    public: bool = True,
    frequency: str = Frequency.DAILY,
) -> MailingList:
    require(actor, Action.MANAGE)
    slug = check_slug("slug", slug)
    if slug == "new":  # the staff pages' address for a new list
        raise invalid("slug", _("“new” cannot name a list; choose another slug."))
    if kind not in ListKind.values:
        raise invalid(
            "kind",
            _("Unknown kind “%(value)s”; use agreement, country or all.") % {"value": kind},
        )
    _check_frequency(frequency)
    if kind == ListKind.AGREEMENT and agreement is None:
        raise invalid("agreement", _("An agreement list needs its agreement."))
    if kind == ListKind.COUNTRY and party is None:
        raise invalid("party", _("A country list needs the releasing party it follows."))
    if kind != ListKind.AGREEMENT:
        agreement = None
    if kind != ListKind.COUNTRY:
        party = None
    if MailingList.objects.filter(slug=slug).exists():
        raise invalid("slug", _("A list called “%(slug)s” already exists.") % {"slug": slug})
    with transaction.atomic():
        ml = MailingList.objects.create(
            slug=slug,
            kind=kind,
            agreement=agreement,
            party=party,
            public=public,
            frequency=frequency,
        )
        # The first digest reports what happens from now on, not the whole history.
        from detente.mailing.digests import take_baseline

        take_baseline(ml)
        ledger.append(
            actor,
            "mailing.list_create",
            ml,
            {
                "slug": slug,
                "kind": kind,
                "agreement": agreement.slug if agreement else None,
                "party": party.slug if party else None,
                "public": public,
                "frequency": frequency,
            },
        )
    return ml


def list_update(
    *,
    actor: User,
    mailing_list: MailingList,
    public: bool | None = None,
    frequency: str | None = None,
    active: bool | None = None,
) -> MailingList:
    """Change whether a list is offered on the public form and how often it sends.

    What a list follows (its kind, agreement or country) and its slug do not change: its
    subscribers agreed to that list, and their consent records name it by its slug.
    ``active`` archives or restores it (:func:`list_archive`).
    """
    require(actor, Action.MANAGE)
    if frequency is not None:
        _check_frequency(frequency)
    changes = {
        k: v
        for k, v in (("public", public), ("frequency", frequency))
        if v is not None and getattr(mailing_list, k) != v
    }
    if changes:
        with transaction.atomic():
            before = {k: getattr(mailing_list, k) for k in changes}
            for k, v in changes.items():
                setattr(mailing_list, k, v)
            mailing_list.save(update_fields=list(changes))
            ledger.append(
                actor, "mailing.list_update", mailing_list, {"before": before, "after": changes}
            )
    if active is not None:
        mailing_list = list_archive(actor=actor, mailing_list=mailing_list, archived=not active)
    return mailing_list


def list_archive(*, actor: User, mailing_list: MailingList, archived: bool) -> MailingList:
    """Archive a list (it is offered to no one and sends nothing; its subscribers and
    history stay) or restore it. A restored list starts from the present: its next digest
    does not report what happened while it was archived. Doing it twice changes nothing."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        ml = MailingList.objects.select_for_update().get(pk=mailing_list.pk)
        if ml.active != archived:
            return ml
        ml.active = not archived
        ml.save(update_fields=["active"])
        if not archived:
            from detente.mailing.digests import take_baseline

            take_baseline(ml)
        if archived:
            ledger.append(actor, "mailing.list_archive", ml, {"slug": ml.slug})
        else:
            ledger.append(actor, "mailing.list_restore", ml, {"slug": ml.slug})
    return ml


@dataclass(frozen=True)
class SentNow:
    mailing_list: MailingList
    digest_id: int | None
    events: int
    recipients: int


def list_send_now(*, actor: User, mailing_list: MailingList) -> SentNow:
    """Build a list's digest now, whether or not it is due, and queue its delivery.

    The digest holds what became public since the list's previous one; with nothing new,
    nothing is sent (and the next digest still starts from here). An archived list sends
    nothing. The request is audited with what it did; the digest has its own entry.
    """
    from detente.mailing.digests import build
    from detente.mailing.schedule import queue_delivery

    require(actor, Action.MANAGE)
    if not mailing_list.active:
        raise invalid("list", _("This list is archived: it sends nothing. Restore it first."))
    with transaction.atomic():
        built = build(mailing_list, actor=actor)
        digest = built.digest
        events = sum(len(s["events"]) for s in digest.content.get("sections", [])) if digest else 0
        ledger.append(
            actor,
            "mailing.send_now",
            built.mailing_list,
            {
                "slug": built.mailing_list.slug,
                "digest": digest.pk if digest else None,
                "events": events,
                "recipients": built.recipients,
            },
        )
        if built.recipients:
            queue_delivery()
    return SentNow(built.mailing_list, digest.pk if digest else None, events, built.recipients)
