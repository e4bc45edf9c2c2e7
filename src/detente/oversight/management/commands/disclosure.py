"""``detente disclosure list|report|propose``.

Proposals made here act as the operator account. Decisions are not taken here: approving
or rejecting needs a person who signed in (with their second factor) to the admin, so
one person at the server's shell can never be both pairs of eyes.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from detente.access.models import DisclosureAction
from detente.access.policy import cli_actor
from detente.access.selectors import disclosure_list, disclosure_report
from detente.access.services import disclosure_propose
from detente.agreements.selectors import agreement_get
from detente.registry.selectors import person_get


def _moment(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Disclose identities in stages, with two-person approval."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="every disclosure, newest first")
        ls.add_argument("--json", action="store_true")
        rp = sub.add_parser("report", help="what each audience sees of an agreement")
        rp.add_argument("slug")
        rp.add_argument("--json", action="store_true")
        pr = sub.add_parser("propose", help="propose opening (or withdrawing) identities")
        pr.add_argument("--audience", required=True, help="legislature or public")
        pr.add_argument("--agreement", help="cover the agreement's named members")
        pr.add_argument("--person", action="append", default=[], help="a handle (repeatable)")
        pr.add_argument("--reason", required=True)
        pr.add_argument("--at", type=_moment, help="effective from (default: on approval)")
        pr.add_argument("--withdraw", action="store_true", help="close instead of open")
        pr.add_argument("--include-at-risk", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = cli_actor()
        try:
            getattr(self, f"_{opts['action']}")(actor, opts)
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None
        except Http404 as exc:
            raise CommandError(str(exc)) from None

    def _list(self, actor: Any, opts: dict[str, Any]) -> None:
        rows = [
            {
                "id": d.pk,
                "audience": d.audience,
                "action": d.action,
                "status": d.status,
                "agreement": d.agreement.slug if d.agreement else None,
                "effective_from": d.effective_from.isoformat() if d.effective_from else None,
                "proposed_by": d.proposed_by.get_username(),
                "decided_by": d.decided_by.get_username() if d.decided_by else None,
                "reason": d.reason,
            }
            for d in disclosure_list(actor)
        ]
        if opts["json"]:
            self.stdout.write(json.dumps({"disclosures": rows}, indent=2, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(
                f"#{r['id']:<5} {r['status']:<9} {r['action']:<8} → {r['audience']:<11} "
                f"{r['agreement'] or '':<20} by {r['proposed_by']}: {r['reason']}"
            )

    def _report(self, actor: Any, opts: dict[str, Any]) -> None:
        agreement = agreement_get(actor, opts["slug"])
        report = disclosure_report(actor, agreement)
        if opts["json"]:
            self.stdout.write(
                json.dumps({"agreement": agreement.slug, "audiences": [r.__dict__ for r in report]})
            )
            return
        for r in report:
            self.stdout.write(
                f"{r.audience:<12} sees {len(r.visible)} identities, not {len(r.hidden)} "
                f"({len(r.at_risk_hidden)} of them at risk)"
            )

    def _propose(self, actor: Any, opts: dict[str, Any]) -> None:
        agreement = agreement_get(actor, opts["agreement"]) if opts["agreement"] else None
        people = [person_get(actor, h) for h in opts["person"]]
        d = disclosure_propose(
            actor=actor,
            audience=opts["audience"],
            reason=opts["reason"],
            people=people,
            agreement=agreement,
            action=DisclosureAction.WITHDRAW if opts["withdraw"] else DisclosureAction.OPEN,
            effective_from=opts["at"],
            at_risk_override=opts["include_at_risk"],
        )
        self.stdout.write(
            f"Proposed disclosure #{d.pk} ({d.people.count()} people → {d.audience}); "
            "a verifier or administrator must approve it in the admin."
        )
