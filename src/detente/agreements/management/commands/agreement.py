"""``detente agreement list|status|members|briefing`` (read, as any viewer with ``--as``) and
``detente agreement create|edit|archive|restore|policy|classify|legislature`` (write, as the
operator account, so every change is in the audit ledger)."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import cli_actor
from detente.access.selectors import LegislatureAccess, legislature_access
from detente.access.services import agreement_access_change
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.agreements.cli import find_party
from detente.agreements.models import Agreement, MemberState
from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
)
from detente.agreements.services import (
    agreement_archive,
    agreement_create,
    agreement_edit,
    agreement_set_policy,
    member_classify,
)
from detente.core.cli_support import refusal
from detente.evidence.models import BREAKDOWN_PARTS
from detente.evidence.selectors import source_get
from detente.registry.selectors import person_get
from detente.registry.status import CustodyStatus

# The services' field names, as the options of the writing subcommands.
OPTIONS = {
    "slug": "SLUG",
    "title": "--title",
    "title_es": "--title-es",
    "description": "--description",
    "description_es": "--description-es",
    "promisor": "--releasing",
    "promisee": "--counterpart",
    "mediators": "--mediator",
    "announced_on": "--announced",
    "promised_count": "--promised",
    "promised_approximate": "--promised",
    "expected_release": "--expected-release",
    "exchange_legs": "--exchange-with",
    "country": "--country",
    "division": "--division",
    "classification": "--political/--other",
    "source": "--source",
    "reason": "--reason",
    "classified_on": "--on",
    "person": "HANDLE",
    "confirm_min_grade": "--confirm-grade",
    "dispute_min_grade": "--dispute-grade",
    "status_overrides": "--count",
    "add": "--add",
    "remove": "--remove",
    "everyone": "--everyone",
}


def _override(text: str) -> tuple[str, str]:
    status, sep, category = text.partition("=")
    if not sep or not status.strip() or not category.strip():
        raise ArgumentTypeError(
            _("%(text)r is not STATUS=CATEGORY, e.g. house_arrest=conditional") % {"text": text}
        )
    return status.strip(), category.strip()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ArgumentTypeError(_("%(text)r is not a whole number ≥ 0") % {"text": text})
    return value


def _promise(text: str) -> tuple[int | None, bool]:
    """``N``, ``unknown`` (the promise names no number) or ``about:N``: (count, approximate)."""
    word = text.strip().lower()
    if word == "unknown":
        return None, False
    approximate = word.startswith("about:")
    try:
        return _count(word.removeprefix("about:")), approximate
    except ArgumentTypeError:
        raise ArgumentTypeError(
            _("%(text)r is not a promise: give a number N, 'unknown' or 'about:N'") % {"text": text}
        ) from None


def promised_text(promised: int | None, approximate: bool) -> str:
    """The promised count as a person reads it: ``53``, ``about 900`` or ``unknown``."""
    if promised is None:
        return _("unknown")
    return _("about %(n)d") % {"n": promised} if approximate else str(promised)


def _add_agreement_options(parser: ArgumentParser, *, creating: bool) -> None:
    """The options of ``create`` (some required) and ``edit`` (all optional)."""
    parser.add_argument("slug", metavar="SLUG")
    parser.add_argument("--title", required=creating)
    parser.add_argument("--title-es", help="the title in Spanish")
    parser.add_argument(
        "--releasing",
        metavar="PARTY",
        required=creating,
        help="the party that promised the releases (a party slug)",
    )
    parser.add_argument(
        "--counterpart",
        metavar="PARTY",
        required=creating,
        help="the party the promise was made to (a party slug)",
    )
    parser.add_argument(
        "--announced", metavar="YYYY-MM-DD", type=_date, required=creating, help="announced on"
    )
    promise = parser.add_mutually_exclusive_group(required=creating)
    promise.add_argument(
        "--promised",
        metavar="N|unknown|about:N",
        type=_promise,
        help="how many releases were promised; 'unknown' when no number was named",
    )
    promise.add_argument(
        "--about", metavar="N", type=_count, help="an approximate promise: same as about:N"
    )
    mediation = parser.add_mutually_exclusive_group()
    mediation.add_argument(
        "--mediator",
        metavar="PARTY",
        action="append",
        help="a mediator or guarantor (repeatable)" + ("" if creating else "; replaces the list"),
    )
    if not creating:
        mediation.add_argument("--no-mediators", action="store_true", help="remove every mediator")
        legs = parser.add_mutually_exclusive_group()
        legs.add_argument(
            "--exchange-with",
            metavar="AGREEMENT",
            action="append",
            help="the other leg of an exchange: an agreement in which this one's counterpart "
            "releases people to its releasing party (repeatable; replaces the list)",
        )
        legs.add_argument("--no-exchange", action="store_true", help="no longer an exchange")
    parser.add_argument(
        "--expected-release",
        metavar="STATUS",
        help="the kind of release promised, e.g. unconditional_release or exiled",
    )
    parser.add_argument("--description")
    parser.add_argument("--description-es", help="the description in Spanish")
    parser.add_argument(
        "--country",
        metavar="CC",
        help="where the releases happen, ISO 3166 alpha-2 (default: the registry's, "
        "DETENTE_COUNTRY)",
    )
    parser.add_argument(
        "--division",
        metavar="CC-XX",
        help="for an agreement local to one first-level division, its ISO 3166-2 code "
        "(e.g. CU-13)" + ("" if creating else "; '' for the whole country"),
    )


def _promise_given(opts: dict[str, Any]) -> tuple[int | None, bool] | None:
    if opts["about"] is not None:
        return opts["about"], True
    promised: tuple[int | None, bool] | None = opts["promised"]
    return promised


class Command(BaseCommand):
    help = "List agreements and show their progress; create, correct and archive them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="every agreement with its headline figures")
        ls.add_argument("--all", action="store_true", help="archived agreements too, marked")
        ls.add_argument("--json", action="store_true")
        add_viewer_argument(ls)
        st = sub.add_parser("status", help="the progress of one agreement")
        st.add_argument("slug")
        st.add_argument("--as-of", type=_date, help="progress as known at the end of DATE")
        st.add_argument("--json", action="store_true")
        add_viewer_argument(st)
        mb = sub.add_parser("members", help="the named members, as the viewer may see them")
        mb.add_argument("slug")
        mb.add_argument("--json", action="store_true")
        add_viewer_argument(mb)
        br = sub.add_parser(
            "briefing", help="the agreement page printed as a PDF, as the viewer may see it"
        )
        br.add_argument("slug")
        br.add_argument("--output", "-o", required=True, metavar="FILE", help="where to write it")
        br.add_argument("--language", choices=("en", "es"), default="en")
        add_viewer_argument(br)
        cr = sub.add_parser("create", help="record an agreement")
        _add_agreement_options(cr, creating=True)
        ed = sub.add_parser("edit", help="correct an agreement; options left out stay as they are")
        _add_agreement_options(ed, creating=False)
        ar = sub.add_parser(
            "archive", help="close an agreement to new members and claims; its figures stay"
        )
        ar.add_argument("slug", metavar="SLUG")
        rs = sub.add_parser("restore", help="open an archived agreement again")
        rs.add_argument("slug", metavar="SLUG")
        po = sub.add_parser(
            "policy",
            help="how claims under the agreement are weighed, and how statuses such as house "
            "arrest or exile count; options left out stay as they are",
        )
        po.add_argument("slug", metavar="SLUG")
        po.add_argument("--confirm-grade", metavar="A-F", help="lowest grade that confirms")
        po.add_argument("--dispute-grade", metavar="A-F", help="lowest grade that disputes")
        counts = po.add_mutually_exclusive_group()
        counts.add_argument(
            "--count",
            metavar="STATUS=CATEGORY",
            type=_override,
            action="append",
            help="count a status otherwise than usual, e.g. house_arrest=conditional or "
            "exiled=conditional (repeatable; replaces the list)",
        )
        counts.add_argument(
            "--count-as-usual", action="store_true", help="every status counts as usual"
        )
        cl = sub.add_parser(
            "classify",
            help="say, on a source's word, whether a named member is a political prisoner "
            "(one who is not is left out of the promise's figures)",
        )
        cl.add_argument("slug", metavar="SLUG")
        cl.add_argument("handle", metavar="HANDLE", help="a person named on the agreement")
        kind = cl.add_mutually_exclusive_group(required=True)
        kind.add_argument(
            "--other",
            dest="classification",
            action="store_const",
            const="other",
            help="not a political prisoner (e.g. a common prisoner in the releasing side's count)",
        )
        kind.add_argument(
            "--political",
            dest="classification",
            action="store_const",
            const="political",
            help="a political prisoner again (undoes --other)",
        )
        cl.add_argument("--source", required=True, metavar="SOURCE", help="on whose word")
        cl.add_argument("--reason", required=True, help="why, as the source puts it")
        cl.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="said on (default today)")
        lg = sub.add_parser(
            "legislature",
            help="which legislature accounts see the agreement: every one, or only those "
            "listed; without options, show it; the state after any change is printed",
        )
        lg.add_argument("slug", metavar="SLUG")
        lg.add_argument(
            "--add",
            metavar="USER",
            action="append",
            default=[],
            help="list a legislature account (repeatable); the first one narrows the "
            "agreement to the list",
        )
        lg.add_argument(
            "--remove",
            metavar="USER",
            action="append",
            default=[],
            help="take an account off the list (repeatable); with none left, no legislature "
            "account sees the agreement",
        )
        lg.add_argument(
            "--everyone",
            action="store_true",
            help="every legislature account sees the agreement again (the list is cleared)",
        )
        lg.add_argument("--json", action="store_true")

    def _briefing(self, viewer: Any, agreement: Any, opts: dict[str, Any]) -> None:
        """The page's PDF as the site would serve it to this viewer, at the public address
        (its links point there)."""
        from urllib.parse import urlsplit

        from django.conf import settings
        from django.test import RequestFactory
        from django.test.utils import override_settings
        from django.utils import translation

        from detente.web.views import agreement_briefing

        public = urlsplit(str(settings.MAILING["PUBLIC_URL"]))
        host = public.netloc or "127.0.0.1"
        request = RequestFactory().get(
            f"/agreements/{agreement.slug}/briefing.pdf",
            HTTP_HOST=host,
            secure=public.scheme == "https",
        )
        request.user = viewer
        hosts = [*settings.ALLOWED_HOSTS, public.hostname or host]
        with translation.override(opts["language"]), override_settings(ALLOWED_HOSTS=hosts):
            request.LANGUAGE_CODE = opts["language"]
            response = agreement_briefing(request, agreement.slug)
        try:
            Path(opts["output"]).write_bytes(response.content)
        except OSError as exc:
            raise CommandError(f"cannot write {opts['output']}: {exc.strerror}") from None
        self.stdout.write(f"{opts['output']}: {len(response.content):,} bytes")

    def handle(self, *args: Any, **opts: Any) -> None:
        writing = ("create", "edit", "archive", "restore", "classify", "policy", "legislature")
        if opts["action"] in writing:
            options = dict(OPTIONS)
            if opts.get("about") is not None:
                options["promised_count"] = options["promised_approximate"] = "--about"
            try:
                getattr(self, f"_{opts['action']}")(opts)
            except ValidationError as exc:
                raise refusal(exc, options) from None
            except PermissionDenied as exc:
                raise CommandError(_("refused: %(reason)s") % {"reason": exc}) from None
            return
        viewer = viewer_from(opts)
        if opts["action"] == "list":
            rows: list[dict[str, Any]] = []
            agreements = agreement_list(viewer)
            if not opts["all"]:
                agreements = agreements.filter(archived_at__isnull=True)
            for a in agreements:
                p = agreement_progress(viewer, a)
                rows.append(
                    {
                        "slug": a.slug,
                        "title": a.title,
                        "announced_on": a.announced_on.isoformat(),
                        "promised": p.promised,
                        "promised_approximate": p.promised_approximate,
                        "named": p.named,
                        "claimed": p.claimed,
                        "confirmed": p.confirmed,
                        "archived": a.archived_at is not None,
                    }
                )
            if opts["json"]:
                self.stdout.write(json.dumps({"agreements": rows}, indent=2))
                return
            self.stdout.write(
                f"{'SLUG':<28} {'ANNOUNCED':<10} {'PROMISED':>10} {'NAMED':>6} "
                f"{'CLAIMED':>8} {'CONFIRMED':>9}  TITLE"
            )
            for r in rows:
                promised = promised_text(r["promised"], r["promised_approximate"])
                mark = f"  [{_('archived')}]" if r["archived"] else ""
                self.stdout.write(
                    f"{r['slug']:<28} {r['announced_on']:<10} {promised:>10} "
                    f"{r['named']:>6} {r['claimed']:>8} {r['confirmed']:>9}  {r['title']}{mark}"
                )
            return

        try:
            agreement = agreement_get(viewer, opts["slug"])
        except Http404:
            raise CommandError(f"no agreement with the slug {opts['slug']!r}") from None
        if opts["action"] == "briefing":
            self._briefing(viewer, agreement, opts)
            return
        if opts["action"] == "members":
            members = agreement_members(viewer, agreement)
            if opts["json"]:
                rows = [
                    {
                        "handle": m.handle,
                        "name": m.name,
                        "state": m.state,
                        "release_category": m.release_category or None,
                        "status": m.status or None,
                        "released_on": m.released_on.isoformat() if m.released_on else None,
                        "classification": m.classification,
                    }
                    for m in members
                ]
                self.stdout.write(json.dumps({"members": rows}, indent=2, ensure_ascii=False))
                return
            for m in members:
                # Words, not codes (the --json output keeps the codes, for programs).
                state = str(MemberState(m.state).label)
                status = str(CustodyStatus(m.status).label) if m.status else ""
                self.stdout.write(
                    f"{m.handle:<10} {state:<30} {status:<34} "
                    f"{m.name or '[identity not disclosed]'}"
                )
            return
        progress = agreement_progress(viewer, agreement, as_of=opts["as_of"])
        if opts["json"]:
            self.stdout.write(json.dumps(progress.as_json(), indent=2, ensure_ascii=False))
            return
        p = progress
        when = f" as of {p.as_of}" if p.as_of else ""

        def figure(label: str, value: object, note: str = "") -> str:
            return f"  {label:<30}{value!s:>9}" + (f"   {note}" if note else "")

        def part(label: str, value: object) -> str:
            return f"    {label:<30}{value!s:>7}"

        lines = [
            f"{agreement.title} ({agreement.slug}){when}",
            f"  announced {agreement.announced_on} by {agreement.promisor} to {agreement.promisee}",
            "",
            figure("promised", promised_text(p.promised, p.promised_approximate)),
            part("named", p.named),
        ]
        if p.promised is not None:
            lines.append(part("unnamed", p.unnamed))
        if p.named_beyond_promise:
            lines.append(part("named beyond promise", p.named_beyond_promise))
        lines += [
            figure(
                "claimed released",
                p.claimed,
                f"(releasing party says {p.claimed_by_releasing_party}"
                + (
                    f", {p.claimed_not_political} of them not political prisoners)"
                    if p.claimed_not_political
                    else ")"
                )
                if p.claimed_by_releasing_party is not None
                else "",
            ),
            figure("confirmed released", p.confirmed, f"gap to claim: {p.gap}"),
            "",
            "  named members by state:",
            part("confirmed, unconditional", p.confirmed_unconditional),
            part("confirmed, conditional", p.confirmed_conditional),
            part("reported only", p.reported),
            part("disputed", p.disputed),
            part("re-arrested", p.rearrested),
            part("still held", p.held),
            part("died", p.died),
            part("disappeared", p.disappeared),
            part("released before the agreement", p.released_before),
            part("not political prisoners", p.excluded),
            part("total", p.named),
        ]
        if p.aggregate_claims:
            lines += ["", "  claims about the agreement as a whole:"]
            for c in p.aggregate_claims:
                parts = ", ".join(
                    f"{part} {c.breakdown[part]}" for part in BREAKDOWN_PARTS if part in c.breakdown
                )
                lines.append(
                    f"    {c.event_date}  {c.source}: {c.released_count} released"
                    + (f" ({parts})" if parts else "")
                )
        if p.stages:
            lines += ["", "  stages:"]
            for s in p.stages:
                now = f"   [{_('now')}]" if s is p.stage else ""
                lines.append(f"    {s.event_date}  {s.stage:<18} {s.source}{now}")
        lines += ["", "  milestones:"]
        for stone in p.milestones:
            when = stone.date.isoformat() if stone.date else "—"
            lines.append(f"    {when:<10}  {stone.label}")
        self.stdout.write("\n".join(lines))

    # --- Writing, as the operator ------------------------------------------------------

    def _agreement(self, slug: str) -> Agreement:
        try:
            return agreement_get(cli_actor(), slug)
        except Http404:
            raise CommandError(f"no agreement with the slug {slug!r}") from None

    def _create(self, opts: dict[str, Any]) -> None:
        promisor = find_party(opts["releasing"], "--releasing")
        promisee = find_party(opts["counterpart"], "--counterpart")
        mediators = [find_party(slug, "--mediator") for slug in opts["mediator"] or ()]
        promise = _promise_given(opts)
        assert promise is not None  # noqa: S101 - argparse requires --promised or --about
        agreement = agreement_create(
            actor=cli_actor(),
            slug=opts["slug"],
            title=opts["title"],
            title_es=opts["title_es"] or "",
            promisor=promisor,
            promisee=promisee,
            mediators=mediators,
            announced_on=opts["announced"],
            promised_count=promise[0],
            promised_approximate=promise[1],
            expected_release=opts["expected_release"] or "",
            description=opts["description"] or "",
            description_es=opts["description_es"] or "",
            country=opts["country"] or "",
            division=opts["division"] or "",
        )
        self.stdout.write(
            _("Created the agreement %(slug)s: %(promisor)s promised %(count)s to %(promisee)s.")
            % {
                "slug": agreement.slug,
                "promisor": promisor.name,
                "count": promised_text(agreement.promised_count, agreement.promised_approximate),
                "promisee": promisee.name,
            }
        )

    def _edit(self, opts: dict[str, Any]) -> None:
        agreement = self._agreement(opts["slug"])
        changes: dict[str, Any] = {
            field: opts[option]
            for field, option in (
                ("title", "title"),
                ("title_es", "title_es"),
                ("description", "description"),
                ("description_es", "description_es"),
                ("announced_on", "announced"),
                ("expected_release", "expected_release"),
                ("country", "country"),
                ("division", "division"),
            )
            if opts[option] is not None
        }
        if opts["releasing"] is not None:
            changes["promisor"] = find_party(opts["releasing"], "--releasing")
        if opts["counterpart"] is not None:
            changes["promisee"] = find_party(opts["counterpart"], "--counterpart")
        if opts["mediator"] is not None:
            changes["mediators"] = [find_party(slug, "--mediator") for slug in opts["mediator"]]
        elif opts["no_mediators"]:
            changes["mediators"] = []
        if opts["exchange_with"] is not None:
            changes["exchange_legs"] = [self._agreement(slug) for slug in opts["exchange_with"]]
        elif opts["no_exchange"]:
            changes["exchange_legs"] = []
        promise = _promise_given(opts)
        if promise is not None:
            changes["promised_count"], changes["promised_approximate"] = promise
        if not changes:
            raise CommandError(_("nothing to change: give at least one option (see --help)"))
        agreement = agreement_edit(actor=cli_actor(), agreement=agreement, **changes)
        self.stdout.write(_("Saved the agreement %(slug)s.") % {"slug": agreement.slug})

    def _archive(self, opts: dict[str, Any]) -> None:
        agreement = agreement_archive(actor=cli_actor(), agreement=self._agreement(opts["slug"]))
        self.stdout.write(
            _(
                "Archived the agreement %(slug)s: closed to new members and claims, out of "
                "`agreement list` (see --all). `detente agreement restore %(slug)s` undoes it."
            )
            % {"slug": agreement.slug}
        )

    def _restore(self, opts: dict[str, Any]) -> None:
        agreement = agreement_archive(
            actor=cli_actor(), agreement=self._agreement(opts["slug"]), archived=False
        )
        self.stdout.write(_("Restored the agreement %(slug)s.") % {"slug": agreement.slug})

    def _classify(self, opts: dict[str, Any]) -> None:
        agreement = self._agreement(opts["slug"])
        actor = cli_actor()
        try:
            person = person_get(actor, opts["handle"])
        except Http404:
            raise CommandError(_("no person %(handle)r") % {"handle": opts["handle"]}) from None
        try:
            source = source_get(actor, opts["source"])
        except Http404:
            raise CommandError(
                _("--source: no source %(slug)r; `detente source list` shows them")
                % {"slug": opts["source"]}
            ) from None
        member_classify(
            actor=actor,
            agreement=agreement,
            person=person,
            classification=opts["classification"],
            source=source,
            reason=opts["reason"],
            classified_on=opts["on"],
        )
        if opts["classification"] == "other":
            done = _(
                "%(handle)s on %(slug)s: not a political prisoner, left out of the promise's "
                "figures."
            )
        else:
            done = _("%(handle)s on %(slug)s: a political prisoner.")
        self.stdout.write(done % {"handle": person.handle, "slug": agreement.slug})

    def _policy(self, opts: dict[str, Any]) -> None:
        agreement = self._agreement(opts["slug"])
        overrides = dict(agreement.status_overrides or {})
        if opts["count"] is not None:
            overrides = dict(opts["count"])
        elif opts["count_as_usual"]:
            overrides = {}
        confirm = opts["confirm_grade"] or agreement.confirm_min_grade
        dispute = opts["dispute_grade"] or agreement.dispute_min_grade
        if (confirm, dispute, overrides) == (
            agreement.confirm_min_grade,
            agreement.dispute_min_grade,
            dict(agreement.status_overrides or {}),
        ):
            self.stdout.write(_("Nothing changed."))
            return
        agreement = agreement_set_policy(
            actor=cli_actor(),
            agreement=agreement,
            confirm_min_grade=confirm.upper(),
            dispute_min_grade=dispute.upper(),
            status_overrides=overrides,
        )
        counted = ", ".join(f"{k}={v}" for k, v in sorted(overrides.items())) or _("as usual")
        self.stdout.write(
            _(
                "Saved the policy of %(slug)s: confirmed by %(confirm)s or better, disputed "
                "by %(dispute)s or better; statuses count %(counted)s. Every member was "
                "worked out again."
            )
            % {
                "slug": agreement.slug,
                "confirm": agreement.confirm_min_grade,
                "dispute": agreement.dispute_min_grade,
                "counted": counted,
            }
        )

    def _legislature(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        agreement = self._agreement(opts["slug"])
        agreement_access_change(
            actor=actor,
            agreement=agreement,
            add=opts["add"],
            remove=opts["remove"],
            everyone=opts["everyone"],
        )
        state = legislature_access(actor, agreement)
        if opts["json"]:
            self.stdout.write(json.dumps(state.as_json(), indent=2, ensure_ascii=False))
            return
        self.stdout.write("\n".join(legislature_lines(state)))


def legislature_lines(state: LegislatureAccess) -> list[str]:
    """The state as a person reads it: who sees the agreement, and the list."""
    if not state.list_only:
        lines = [_("%(slug)s: every legislature account.") % {"slug": state.slug}]
    elif state.accounts:
        lines = [_("%(slug)s: only the listed legislature accounts.") % {"slug": state.slug}]
    else:
        lines = [_("%(slug)s: no legislature account (the list is empty).") % {"slug": state.slug}]
    if state.audience == "staff":
        lines.append(
            _("  The agreement is shown to staff only: no legislature account sees it yet.")
        )
    elif state.audience == "public":
        lines.append(_("  The agreement is public: everyone sees it, whatever the list says."))
    for a in state.accounts:
        mark = "" if a.current else "  [" + _("no longer an active legislature account") + "]"
        day = a.granted_at.date().isoformat()
        lines.append(
            "  "
            + _("%(user)s (listed by %(by)s on %(day)s)")
            % {"user": a.username, "by": a.granted_by, "day": day}
            + mark
        )
    return lines
