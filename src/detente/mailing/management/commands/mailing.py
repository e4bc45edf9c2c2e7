"""``detente mailing …``: lists, digests, delivery, privacy requests and Mailchimp sync.

The worker (``detente db_worker``) sends the digests that are due by itself; ``digest``
and ``list-send`` are for doing it by hand.

Operator only (the server's shell): every change acts as the operator account and is
audited; no ``--as``, so no one can act as someone else from here.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from detente.access.policy import cli_actor
from detente.agreements.models import Agreement, Party
from detente.mailing import digests, services, sync
from detente.mailing.delivery import LEASE_NAME, deliver
from detente.mailing.models import (
    DeliveryLease,
    Frequency,
    ListKind,
    MailingList,
    OutboxMessage,
    OutboxStatus,
    SubscriberStatus,
)
from detente.mailing.selectors import counts, mailing_list_get, mailing_lists, pending_digest


class Command(BaseCommand):
    help = "Email updates: lists, digests, delivery, privacy export and erasure, Mailchimp."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("lists", help="every mailing list and its confirmed subscribers")
        ls.add_argument("--json", action="store_true")
        mk = sub.add_parser("list-create", help="create a mailing list")
        mk.add_argument("slug")
        mk.add_argument("--kind", required=True, choices=ListKind.values)
        mk.add_argument("--agreement", help="the agreement's slug (kind agreement)")
        mk.add_argument("--party", help="the releasing party's slug (kind country)")
        mk.add_argument("--private", action="store_true", help="not offered on the public form")
        mk.add_argument("--frequency", choices=Frequency.values, default=Frequency.DAILY)
        st = sub.add_parser("list-set", help="change a list")
        st.add_argument("slug")
        st.add_argument("--public", dest="public", action="store_true", default=None)
        st.add_argument("--private", dest="public", action="store_false")
        st.add_argument("--frequency", choices=Frequency.values)
        st.add_argument("--active", dest="active", action="store_true", default=None)
        st.add_argument("--inactive", dest="active", action="store_false")
        sh = sub.add_parser("list-show", help="one list: its counts and what it would send now")
        sh.add_argument("slug")
        sh.add_argument("--json", action="store_true")
        ar = sub.add_parser("list-archive", help="archive a list: offered to no one, sends nothing")
        ar.add_argument("slug")
        rs = sub.add_parser("list-restore", help="restore an archived list (from the present on)")
        rs.add_argument("slug")
        sn = sub.add_parser("list-send", help="build one list's digest now, due or not")
        sn.add_argument("slug")
        sn.add_argument(
            "--dry-run", action="store_true", help="say what would go out, and to how many"
        )
        sn.add_argument(
            "--deliver", action="store_true", help="deliver here and now instead of by the worker"
        )
        dg = sub.add_parser("digest", help="build the digests that are due and queue them")
        dg.add_argument("--frequency", choices=Frequency.values)
        dg.add_argument(
            "--send", action="store_true", help="deliver here and now instead of by the worker"
        )
        sub.add_parser("send", help="deliver the outbox here and now")
        ss = sub.add_parser("status", help="the outbox by state")
        ss.add_argument("--json", action="store_true")
        ex = sub.add_parser("export", help="everything held about an address (JSON)")
        ex.add_argument("email")
        er = sub.add_parser("erase", help="erase an address, keeping only its keyed hash")
        er.add_argument("email")
        sp = sub.add_parser("suppress", help="stop all mail to an address")
        sp.add_argument("email")
        sp.add_argument(
            "--status",
            choices=[SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED],
            default=SubscriberStatus.BOUNCED,
        )
        sp.add_argument("--reason", default="by the operator")
        sub.add_parser("sync", help="push pending changes to Mailchimp (when turned on)")

    def handle(self, *args: Any, **opts: Any) -> None:
        method = getattr(self, "_" + opts["action"].replace("-", "_"))
        try:
            method(opts)
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None

    def _out(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def _lists(self, opts: dict[str, Any]) -> None:
        rows = [
            {
                "slug": ml.slug,
                "kind": ml.kind,
                "title": ml.title,
                "public": ml.public,
                "active": ml.active,
                "frequency": ml.frequency,
                **counts(ml),
                "last_digest_at": ml.snapshot_at,
            }
            for ml in mailing_lists(cli_actor())
        ]
        if opts["json"]:
            self._out({"lists": rows})
            return
        for r in rows:
            flags = ("" if r["public"] else " private") + ("" if r["active"] else " archived")
            self.stdout.write(
                f"{r['slug']:<32} {r['kind']:<10} {r['frequency']:<10} "
                f"{r['confirmed']:>7} confirmed{flags}  {r['title']}"
            )

    def _list_create(self, opts: dict[str, Any]) -> None:
        agreement = party = None
        if opts["agreement"]:
            agreement = Agreement.objects.filter(slug=opts["agreement"]).first()
            if agreement is None:
                raise CommandError(f"no agreement {opts['agreement']!r}")
        if opts["party"]:
            party = Party.objects.filter(slug=opts["party"]).first()
            if party is None:
                raise CommandError(f"no party {opts['party']!r}")
        ml = services.list_create(
            actor=cli_actor(),
            slug=opts["slug"],
            kind=opts["kind"],
            agreement=agreement,
            party=party,
            public=not opts["private"],
            frequency=opts["frequency"],
        )
        self.stdout.write(f"Created list {ml.slug}.")

    def _get_list(self, slug: str) -> MailingList:
        ml = MailingList.objects.filter(slug=slug).first()
        if ml is None:
            raise CommandError(f"no mailing list {slug!r}")
        return ml

    def _list_set(self, opts: dict[str, Any]) -> None:
        ml = services.list_update(
            actor=cli_actor(),
            mailing_list=self._get_list(opts["slug"]),
            public=opts["public"],
            frequency=opts["frequency"],
            active=opts["active"],
        )
        self.stdout.write(
            f"{ml.slug}: public={ml.public} active={ml.active} frequency={ml.frequency}"
        )

    def _list_show(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        ml = self._get_list(opts["slug"])
        ml = mailing_list_get(actor, ml.slug)
        pending = pending_digest(actor, ml) if ml.active else None
        data = {
            "slug": ml.slug,
            "title": ml.title,
            "kind": ml.kind,
            "agreement": ml.agreement.slug if ml.agreement else None,
            "party": ml.party.slug if ml.party else None,
            "public": ml.public,
            "archived": not ml.active,
            "frequency": ml.frequency,
            **counts(ml),
            "last_digest_at": ml.snapshot_at,
            "news_since_last_digest": pending.events if pending else None,
        }
        if opts["json"]:
            self._out(data)
            return
        for key, value in data.items():
            self.stdout.write(f"{key:<24} {'' if value is None else value}")

    def _list_archive(self, opts: dict[str, Any]) -> None:
        ml = services.list_archive(
            actor=cli_actor(), mailing_list=self._get_list(opts["slug"]), archived=True
        )
        self.stdout.write(f"{ml.slug}: archived (offered to no one, sends nothing).")

    def _list_restore(self, opts: dict[str, Any]) -> None:
        ml = services.list_archive(
            actor=cli_actor(), mailing_list=self._get_list(opts["slug"]), archived=False
        )
        self.stdout.write(f"{ml.slug}: restored; its next digest starts from now.")

    def _list_send(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        ml = self._get_list(opts["slug"])
        if opts["dry_run"]:
            if not ml.active:
                raise CommandError(f"{ml.slug} is archived: it sends nothing")
            pending = pending_digest(actor, ml)
            self.stdout.write(
                f"{ml.slug}: {pending.events} piece(s) of news for {pending.recipients} "
                "confirmed subscriber(s); nothing sent (--dry-run)."
            )
            return
        sent = services.list_send_now(actor=actor, mailing_list=ml)
        if sent.digest_id is None:
            self.stdout.write(f"{ml.slug}: nothing new since the previous digest; nothing sent.")
            return
        self.stdout.write(
            f"{ml.slug}: digest #{sent.digest_id} ({sent.events} piece(s) of news) for "
            f"{sent.recipients} subscriber(s)."
        )
        if opts["deliver"]:
            self._send(opts)

    def _digest(self, opts: dict[str, Any]) -> None:
        built = digests.build_due(opts["frequency"])
        queued = 0
        for b in built:
            if b.digest is not None:
                queued += b.recipients
                self.stdout.write(
                    f"{b.mailing_list.slug}: digest #{b.digest.pk} for {b.recipients} subscriber(s)"
                )
        if not queued:
            self.stdout.write("Nothing new to send.")
            return
        if opts["send"]:
            self._send(opts)
        else:
            from detente.mailing.tasks import deliver_outbox

            deliver_outbox.enqueue()
            self.stdout.write(f"{queued} message(s) queued for the worker (detente db_worker).")

    def _send(self, opts: dict[str, Any]) -> None:
        outcome = deliver()
        if not outcome.ran:
            self.stdout.write("Another worker is delivering the outbox now; nothing done.")
            return
        self._out(outcome.as_dict())
        if outcome.error:
            raise CommandError(f"delivery stopped: {outcome.error}")

    def _status(self, opts: dict[str, Any]) -> None:
        counts = dict(
            OutboxMessage.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        unconfirmed = OutboxMessage.objects.filter(
            status=OutboxStatus.SENT, accepted_at__isnull=True
        ).count()
        lease = DeliveryLease.objects.filter(name=LEASE_NAME).first()
        outbox = {s: counts.get(s, 0) for s in OutboxStatus.values}
        data = {
            "outbox": outbox,
            "sent_without_reply": unconfirmed,
            "delivering": bool(lease and lease.holder),
            "lease_expires_at": lease.expires_at if lease else None,
        }
        if opts["json"]:
            self._out(data)
            return
        for status, n in outbox.items():
            self.stdout.write(f"{status:<10} {n}")
        self.stdout.write(f"sent, relay's reply not recorded: {unconfirmed}")

    def _subscriber(self, email: str) -> Any:
        found = services.find_subscriber(email)
        if found is None:
            raise CommandError("no subscriber with that address")
        return found

    def _export(self, opts: dict[str, Any]) -> None:
        subscriber = self._subscriber(opts["email"])
        self._out(services.export_for_operator(actor=cli_actor(), subscriber=subscriber))

    def _erase(self, opts: dict[str, Any]) -> None:
        subscriber = self._subscriber(opts["email"])
        if subscriber.status == SubscriberStatus.ERASED:
            self.stdout.write("Already erased; only the keyed hash is kept.")
            return
        services.erase(subscriber, actor=cli_actor())
        self.stdout.write("Erased; only the keyed hash of the address is kept, for suppression.")

    def _suppress(self, opts: dict[str, Any]) -> None:
        subscriber = self._subscriber(opts["email"])
        changed = services.suppress(subscriber, opts["status"], opts["reason"], actor=cli_actor())
        self.stdout.write("Suppressed." if changed else "Nothing changed.")

    def _sync(self, opts: dict[str, Any]) -> None:
        if sync.client() is None:
            raise CommandError("Mailchimp is not turned on (see docs/mailing.md)")
        made = sync.ensure_interests()
        counts = sync.push_all()
        self._out({"interests_created": made, **counts})
