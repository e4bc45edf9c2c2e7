"""``detente claim status|count|stage|retract|list``: record what a source asserts, and
read the claims back.

Acts as the operator account (``cli_actor()``), an administrator, so every claim is in
the audit ledger under its name. Claims are immutable: a mistake is corrected by a new
claim from the same source (``--corrects ID`` supersedes, ``retract ID`` withdraws).
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import cli_actor
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_get
from detente.core.cli_support import refusal
from detente.core.dates import PreciseDate
from detente.evidence.models import (
    BREAKDOWN_PARTS,
    Claim,
    ClaimKind,
    Credibility,
    Lifecycle,
    Source,
)
from detente.evidence.selectors import claim_get, claim_list, source_get
from detente.evidence.services import aggregate_warnings, claim_record
from detente.registry.models import Person
from detente.registry.selectors import person_get
from detente.registry.status import CustodyStatus

# The service's field names, as the options of this command (per subcommand below).
OPTIONS = {
    "source": "--source",
    "person": "HANDLE",
    "agreement": "--agreement",
    "status": "--status",
    "released_count": "--released",
    "breakdown": "/".join(f"--{part}" for part in BREAKDOWN_PARTS),
    "lifecycle": "--stage",
    "event_date": "--date",
    "event_precision": "--date",
    "event_time": "--time",
    "received_at": "--received",
    "credibility": "--credibility",
    "corrects": "--corrects",
    "evidence_text": "--evidence",
    "evidence_url": "--url",
}
SUBCOMMAND_OPTIONS = {
    "count": {"agreement": "AGREEMENT"},
    "stage": {"agreement": "AGREEMENT", "evidence_text": "--reason"},
    "retract": {"corrects": "CLAIM_ID", "evidence_text": "--reason"},
}


def _date(text: str) -> PreciseDate:
    try:
        return PreciseDate.parse(text)
    except ValueError:
        raise ArgumentTypeError(
            _("%(text)r is not a date (YYYY-MM-DD, YYYY-MM or YYYY)") % {"text": text}
        ) from None


def _moment(text: str) -> dt.datetime:
    """An ISO date and time; one without a time zone is taken as UTC."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ArgumentTypeError(
            _("%(text)r is not a date and time (YYYY-MM-DDTHH:MM[+HH:MM])") % {"text": text}
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _whole(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ArgumentTypeError(_("%(text)r is not a whole number ≥ 0") % {"text": text})
    return value


def _claim_id(text: str) -> int:
    try:
        value = int(text.strip().removeprefix("#"))
    except ValueError:
        value = 0
    if value < 1:
        raise ArgumentTypeError(_("%(text)r is not a claim number") % {"text": text})
    return value


def _source(slug: str) -> Source:
    try:
        return source_get(cli_actor(), slug)
    except Http404:
        raise CommandError(
            _("--source: no source %(slug)r; `detente source list` shows them") % {"slug": slug}
        ) from None


def _agreement(slug: str, option: str) -> Agreement:
    try:
        return agreement_get(cli_actor(), slug)
    except Http404:
        raise CommandError(
            _("%(option)s: no agreement %(slug)r; `detente agreement list` shows them")
            % {"option": option, "slug": slug}
        ) from None


def _person(handle: str, option: str) -> Person:
    try:
        return person_get(cli_actor(), handle)
    except Http404:
        raise CommandError(
            _("%(option)s: no person %(handle)r") % {"option": option, "handle": handle}
        ) from None


def _claim(claim_id: int, option: str) -> Claim:
    try:
        return claim_get(cli_actor(), claim_id)
    except Http404:
        raise CommandError(
            _("%(option)s: no claim #%(id)d; `detente claim list` shows them")
            % {"option": option, "id": claim_id}
        ) from None


def _time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a time of day (HH:MM)") from None


def _add_common(parser: ArgumentParser, *, evidence: str = "--evidence") -> None:
    """The options of every subcommand that asserts something."""
    parser.add_argument("--source", required=True, metavar="SLUG", help="who says so")
    parser.add_argument(
        "--date",
        required=True,
        type=_date,
        metavar="YYYY-MM-DD|YYYY-MM|YYYY",
        help="when it happened; YYYY-MM or YYYY when only the month or year is known",
    )
    parser.add_argument(
        "--time",
        type=_time,
        metavar="HH:MM",
        help="the time of day it happened, when known: it orders a re-arrest and a release "
        "on the same day (needs a full date)",
    )
    parser.add_argument(
        "--received",
        type=_moment,
        metavar="ISO-DATETIME",
        help="when the source said it (default: now; UTC unless a zone is given)",
    )
    parser.add_argument(
        "--credibility",
        type=int,
        choices=Credibility.values,
        default=Credibility.UNKNOWN,
        help="1 (confirmed by other sources) to 6 (cannot be judged, the default)",
    )
    if evidence == "--evidence":
        parser.add_argument("--evidence", metavar="TEXT", default="", help="what the source said")
    else:
        parser.add_argument(
            evidence, "--evidence", dest="evidence", metavar="TEXT", default="", help="why"
        )
    parser.add_argument("--url", metavar="URL", default="", help="where it was said")
    parser.add_argument(
        "--corrects",
        type=_claim_id,
        metavar="CLAIM_ID",
        help="an earlier claim of the same source that this one supersedes",
    )


class Command(BaseCommand):
    help = "Record claims (a person's status, a count or stage of an agreement) and list them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        st = sub.add_parser("status", help="a source says what happened to a person")
        st.add_argument("handle", metavar="HANDLE")
        st.add_argument(
            "--status",
            required=True,
            choices=CustodyStatus.values,
            metavar="STATUS",
            help="e.g. unconditional_release, exiled, parole, detained",
        )
        st.add_argument(
            "--agreement", metavar="SLUG", help="the agreement the source speaks of, if any"
        )
        _add_common(st)
        ct = sub.add_parser("count", help="a source says how many an agreement released")
        ct.add_argument("agreement", metavar="AGREEMENT")
        ct.add_argument("--released", required=True, type=_whole, metavar="N")
        for part in BREAKDOWN_PARTS:
            ct.add_argument(
                f"--{part}", type=_whole, metavar="N", help=f"of them, {part} (as the source says)"
            )
        _add_common(ct)
        sg = sub.add_parser("stage", help="a source says what happened to an agreement")
        sg.add_argument("agreement", metavar="AGREEMENT")
        sg.add_argument("--stage", required=True, choices=Lifecycle.values)
        _add_common(sg, evidence="--reason")
        rt = sub.add_parser("retract", help="a source withdraws an earlier claim of its own")
        rt.add_argument("claim_id", type=_claim_id, metavar="CLAIM_ID")
        rt.add_argument("--source", required=True, metavar="SLUG", help="who made the claim")
        rt.add_argument("--reason", metavar="TEXT", default="", help="why it is withdrawn")
        rt.add_argument(
            "--received",
            type=_moment,
            metavar="ISO-DATETIME",
            help="when the source withdrew it (default: now; UTC unless a zone is given)",
        )
        ls = sub.add_parser("list", help="the claims, in the order they were received")
        ls.add_argument("--person", metavar="HANDLE", help="about this person")
        ls.add_argument("--agreement", metavar="SLUG", help="about or under this agreement")
        ls.add_argument("--source", metavar="SLUG", help="made by this source")
        ls.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        try:
            getattr(self, f"_{action}")(opts)
        except ValidationError as exc:
            raise refusal(exc, {**OPTIONS, **SUBCOMMAND_OPTIONS.get(action, {})}) from None
        except PermissionDenied as exc:
            raise CommandError(_("refused: %(reason)s") % {"reason": exc}) from None

    # --- Recording ---------------------------------------------------------------------

    def _record(self, opts: dict[str, Any], source: Source, **fields: Any) -> Claim:
        date: PreciseDate = opts["date"]
        corrects = _claim(opts["corrects"], "--corrects") if opts["corrects"] else None
        return claim_record(
            actor=cli_actor(),
            source=source,
            event_date=date.value,
            event_precision=date.precision,
            event_time=opts.get("time"),
            received_at=opts["received"],
            credibility=opts["credibility"],
            corrects=corrects,
            evidence_text=opts["evidence"],
            evidence_url=opts["url"],
            **fields,
        )

    def _recorded(self, claim: Claim, what: str) -> None:
        line = _("recorded claim #%(id)d: %(what)s, from %(source)s") % {
            "id": claim.pk,
            "what": what,
            "source": claim.source.slug,
        }
        if claim.corrects_id and claim.kind != ClaimKind.RETRACTION:
            line += _(" (supersedes #%(id)d)") % {"id": claim.corrects_id}
        self.stdout.write(line)

    def _status(self, opts: dict[str, Any]) -> None:
        person = _person(opts["handle"], "HANDLE")
        source = _source(opts["source"])
        agreement = _agreement(opts["agreement"], "--agreement") if opts["agreement"] else None
        claim = self._record(
            opts,
            source,
            kind=ClaimKind.STATUS,
            person=person,
            agreement=agreement,
            status=opts["status"],
        )
        self._recorded(
            claim,
            _("%(person)s %(status)s on %(date)s%(under)s")
            % {
                "person": person.handle,
                "status": claim.status,
                "date": opts["date"],
                "under": _(" under %(slug)s") % {"slug": agreement.slug} if agreement else "",
            },
        )

    def _count(self, opts: dict[str, Any]) -> None:
        agreement = _agreement(opts["agreement"], "AGREEMENT")
        source = _source(opts["source"])
        released: int = opts["released"]
        breakdown = {part: opts[part] for part in BREAKDOWN_PARTS if opts[part] is not None}
        # Before recording: "the count goes down" compares with the figures already there.
        warnings = aggregate_warnings(agreement, released, opts["date"].value)
        claim = self._record(
            opts,
            source,
            kind=ClaimKind.AGGREGATE,
            agreement=agreement,
            released_count=released,
            breakdown=breakdown,
        )
        for warning in warnings:
            self.stderr.write(_("warning: %(message)s") % {"message": warning})
        parts = ", ".join(f"{part} {n}" for part, n in breakdown.items())
        self._recorded(
            claim,
            _("%(slug)s: %(n)d released by %(date)s%(parts)s")
            % {
                "slug": agreement.slug,
                "n": released,
                "date": opts["date"],
                "parts": f" ({parts})" if parts else "",
            },
        )

    def _stage(self, opts: dict[str, Any]) -> None:
        agreement = _agreement(opts["agreement"], "AGREEMENT")
        source = _source(opts["source"])
        claim = self._record(
            opts, source, kind=ClaimKind.LIFECYCLE, agreement=agreement, lifecycle=opts["stage"]
        )
        self._recorded(
            claim,
            _("%(slug)s %(stage)s on %(date)s")
            % {"slug": agreement.slug, "stage": claim.lifecycle, "date": opts["date"]},
        )

    def _retract(self, opts: dict[str, Any]) -> None:
        earlier = _claim(opts["claim_id"], "CLAIM_ID")
        source = _source(opts["source"])
        claim = claim_record(
            actor=cli_actor(),
            source=source,
            kind=ClaimKind.RETRACTION,
            corrects=earlier,
            received_at=opts["received"],
            evidence_text=opts["reason"],
        )
        self._recorded(claim, _("retracts #%(id)d") % {"id": earlier.pk})

    # --- Reading -----------------------------------------------------------------------

    def _list(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        claims = claim_list(
            actor,
            person=_person(opts["person"], "--person") if opts["person"] else None,
            agreement=_agreement(opts["agreement"], "--agreement") if opts["agreement"] else None,
            source=_source(opts["source"]) if opts["source"] else None,
        ).order_by("received_at", "id")
        rows = [_row(c) for c in claims]
        if opts["json"]:
            self.stdout.write(json.dumps({"claims": rows}, indent=2, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No claims; `detente claim status|count|stage` records one."))
            return
        self.stdout.write(
            f"{'ID':>6}  {'KIND':<10} {'SOURCE':<20} {'PERSON':<10} {'AGREEMENT':<20} "
            f"{'WHAT':<30} {'EVENT':<10}  RECEIVED"
        )
        for r in rows:
            self.stdout.write(
                f"{'#' + str(r['id']):>6}  {r['kind']:<10} {r['source']:<20} "
                f"{r['person'] or '':<10} {r['agreement'] or '':<20} {_what(r):<30} "
                f"{r['event'] or '':<10}  {r['received_at'][:16].replace('T', ' ')}"
            )


def _row(c: Claim) -> dict[str, Any]:
    event = PreciseDate.of(c.event_date, c.event_precision) if c.event_date else None
    return {
        "id": c.pk,
        "kind": c.kind,
        "source": c.source.slug,
        "person": c.person.handle if c.person else None,
        "agreement": c.agreement.slug if c.agreement else None,
        "status": c.status or None,
        "released_count": c.released_count,
        "breakdown": c.breakdown or {},
        "stage": c.lifecycle or None,
        "event": str(event) if event else None,
        "event_date": c.event_date.isoformat() if c.event_date else None,
        "event_precision": c.event_precision,
        "received_at": c.received_at.isoformat(),
        "credibility": c.credibility,
        "corrects": c.corrects_id,
        "evidence": c.evidence_text,
        "url": c.evidence_url,
    }


def _what(r: dict[str, Any]) -> str:
    """What a claim asserts, in a few words."""
    if r["kind"] == ClaimKind.RETRACTION:
        return _("retracts #%(id)d") % {"id": r["corrects"]}
    if r["kind"] == ClaimKind.AGGREGATE:
        what = _("%(n)d released") % {"n": r["released_count"]}
    else:
        what = r["status"] or r["stage"] or ""
    if r["corrects"]:
        what += " " + _("(supersedes #%(id)d)") % {"id": r["corrects"]}
    return str(what)
