"""The demo scenario: a synthetic agreement shaped like the December 2014 deal.

Everything here is invented by the seeded generator in ``detente.demo.names``; no real
person's data is used. The shape follows the brief: 53 promised, names withheld (49 known
to the counterpart), releases reported over several weeks by the releasing government,
most confirmed by the counterpart's embassy, a few only reported, two disputed by family,
one re-arrested, several conditional; an NGO's larger list overlapping the agreement; and
other cases raised; and a second NGO's source with no claims, into which the README imports
the example list ``examples/ngo-list.csv``. Everything is written through the services, so
the audit ledger holds the whole history.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from detente.access.models import Audience
from detente.access.policy import Role, cli_actor
from detente.access.services import (
    agreement_set_audience,
    disclosure_approve,
    disclosure_propose,
)
from detente.accounts.services import set_role_groups
from detente.agreements.models import Agreement, Classification, Party, PartyKind
from detente.agreements.services import (
    agreement_add_members,
    agreement_create,
    agreement_edit,
    member_classify,
    party_create,
)
from detente.audit import ledger
from detente.casework import demo as casework_demo
from detente.core.dates import DatePrecision
from detente.demo.names import PersonGenerator, SyntheticPerson
from detente.evidence.models import Claim, ClaimKind, Credibility, Lifecycle, Source, SourceKind
from detente.evidence.services import claim_record, source_create
from detente.publishing.releases import statistics_approve, statistics_propose
from detente.registry.models import Person
from detente.registry.services import custody_episode_add, person_create
from detente.registry.status import CustodyStatus

DEMO_AGREEMENT = "cuba-us-2014"
ANNOUNCED = dt.date(2014, 12, 17)
PROMISED = 53
NAMED = 49
NGO_LIST = 300
OTHER_CASES = 15

DEMO_USERS = (
    ("admin", "Demo administrator", Role.ADMINISTRATOR, True),
    ("verifier", "Demo verifier", Role.VERIFIER, False),
    ("analyst", "Demo analyst", Role.ANALYST, False),
    ("legislator", "Demo legislative staff", Role.LEGISLATURE, False),
)


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # user, password, role
    people: int = 0
    claims: int = 0


def logins_path() -> Path:
    return Path(settings.DATA_DIR) / "demo-logins.txt"


def _read_logins() -> list[tuple[str, str, str]]:
    path = logins_path()
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def _write_logins(rows: list[tuple[str, str, str]]) -> None:
    path = logins_path()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.writelines("\t".join(r) + "\n" for r in rows)


def _demo_users(actor: User) -> list[tuple[str, str, str]]:
    """Create the demo accounts with fresh random passwords (kept in the data dir only)."""
    user_model = get_user_model()
    rows = []
    for username, label, role, superuser in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_user(
            username=username,
            password=password,
            first_name=label,
            # example.org is reserved for examples: the demo's task reminders (printed to
            # the console by `make run`) have somewhere to go and reach no one.
            email=f"{username}@example.org",
            is_superuser=superuser,
        )
        set_role_groups(user, role)  # the role, and Django's is_staff to match it
        ledger.append(actor, "user.create", user, {"username": username, "role": role})
        _demo_authenticator(actor, user)
        rows.append((username, password, role))
    return rows


def _demo_authenticator(actor: User, user: User) -> None:
    """Enrol and confirm an authenticator, so the account arrives ready to sign in (with
    ``detente user totp-code`` giving the code). Confirmed with the previous step's code,
    inside the drift window, so the current and next steps stay free for logging in."""
    from django.utils import timezone

    from detente.accounts import services as accounts
    from detente.accounts import totp

    now = timezone.now()
    device, _uri = accounts.totp_enroll(actor=actor, user=user, now=now)
    code = totp.totp(device.key(), now.timestamp() - totp.PERIOD)
    accounts.totp_confirm(actor=actor, user=user, code=code, now=now)


def _received(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=dt.UTC)


def _person(
    actor: User,
    p: SyntheticPerson,
    rng: random.Random,
    arrested_between: tuple[int, int] = (2003, 2014),
    latest: dt.date = dt.date(2014, 11, 30),
) -> Person:
    person = person_create(
        actor=actor,
        given_names=p.given_names,
        paternal_surname=p.paternal_surname,
        maternal_surname=p.maternal_surname,
        aliases=p.aliases,
        birth_date=p.birth_date,
        birth_precision=p.birth_precision,
        sex=p.sex,
        province=p.province,
        municipality=p.municipality,
        affiliation=p.affiliation,
        at_risk=rng.random() < 0.08,
    )
    arrested = dt.date(rng.randint(*arrested_between), rng.randint(1, 12), rng.randint(1, 28))
    arrested = min(arrested, latest)
    custody_episode_add(
        actor=actor,
        person=person,
        status=rng.choice(
            [CustodyStatus.SENTENCED, CustodyStatus.SENTENCED, CustodyStatus.AWAITING_TRIAL]
        ),
        start_date=arrested,
        start_precision=DatePrecision.DAY if rng.random() < 0.8 else DatePrecision.MONTH,
        place=rng.choice(
            ["Prisión provincial", "Centro de detención", "Prisión de máxima seguridad"]
        ),
    )
    return person


def _sources(actor: User) -> dict[str, Source]:
    specs = [
        (
            "gov-foreign-ministry",
            "Ministry of Foreign Affairs (releasing government)",
            SourceKind.DETAINING_GOVERNMENT,
            "C",
            "releasing-government",
            False,
        ),
        (
            "gov-state-press",
            "State newspaper",
            SourceKind.PRESS,
            "C",
            "releasing-government",
            False,
        ),
        (
            "embassy",
            "Counterpart embassy, human rights officer",
            SourceKind.COUNTERPART_GOVERNMENT,
            "A",
            "counterpart-government",
            False,
        ),
        (
            "counterpart-spokesperson",
            "Counterpart foreign ministry spokesperson",
            SourceKind.COUNTERPART_GOVERNMENT,
            "B",
            "counterpart-government",
            False,
        ),
        (
            "anon-official",
            "Official speaking on condition of anonymity",
            SourceKind.ANONYMOUS_OFFICIAL,
            "F",
            "counterpart-government",
            True,
        ),
        (
            "observatorio",
            "Observatorio Cívico (demo NGO)",
            SourceKind.NGO,
            "B",
            "observatorio",
            False,
        ),
        ("families", "Relatives of the detained", SourceKind.FAMILY, "C", "families", False),
        (
            "independent-press",
            "Independent press agency",
            SourceKind.PRESS,
            "D",
            "independent-press",
            False,
        ),
        # No claims of its own: the source of the example list the README imports
        # (examples/ngo-list.csv), so `detente import … --source ngo-list` works on the demo.
        ("ngo-list", "A second NGO's list (demo)", SourceKind.NGO, "C", "ngo-list", False),
    ]
    return {
        slug: source_create(
            actor=actor,
            slug=slug,
            name=name,
            kind=kind,
            reliability=grade,
            independence_group=group,
            protected=protected,
        )
        for slug, name, kind, grade, group, protected in specs
    }


def _members_story(
    actor: User,
    agreement: Agreement,
    members: list[Person],
    src: dict[str, Source],
    rng: random.Random,
) -> None:
    """Play out the releases: who is reported, confirmed, disputed, re-arrested, held."""
    order = list(members)
    rng.shuffle(order)
    plan = (
        ["confirmed"] * 33
        + ["conditional"] * 6
        + ["reported"] * 5
        + ["disputed"] * 2
        + ["rearrested"]
        + ["held"] * 2
    )
    assert len(plan) == len(order)  # noqa: S101 - the story must cover every member
    start = dt.date(2014, 12, 20)
    for i, (person, fate) in enumerate(zip(order, plan, strict=True)):
        if fate == "held":
            continue
        released = start + dt.timedelta(days=(i * 23) // len(order))
        if fate == "conditional":
            status = rng.choice([CustodyStatus.PAROLE, CustodyStatus.EXTRA_PENAL_LICENCE])
        elif i % 17 == 3:
            status = CustodyStatus.EXILED
        else:
            status = CustodyStatus.UNCONDITIONAL_RELEASE
        claim_record(
            actor=actor,
            source=src["gov-foreign-ministry"],
            agreement=agreement,
            person=person,
            status=status,
            event_date=released,
            received_at=_received(released + dt.timedelta(days=rng.randint(0, 2)), rng),
            credibility=Credibility.POSSIBLE,
            evidence_text="Communiqué listing releases.",
        )
        if fate in ("confirmed", "conditional", "rearrested", "disputed"):
            confirmer = src["embassy"] if rng.random() < 0.85 else src["counterpart-spokesperson"]
            confirmed_on = released + dt.timedelta(days=rng.randint(1, 9))
            if fate != "disputed":
                claim_record(
                    actor=actor,
                    source=confirmer,
                    agreement=agreement,
                    person=person,
                    status=status,
                    event_date=released,
                    received_at=_received(confirmed_on, rng),
                    credibility=Credibility.CONFIRMED,
                    evidence_text="Officer visited the home and spoke with the person.",
                )
        if fate == "disputed":
            said = released + dt.timedelta(days=rng.randint(2, 6))
            claim_record(
                actor=actor,
                source=src["families"],
                agreement=agreement,
                person=person,
                status=CustodyStatus.DETAINED,
                event_date=said,
                received_at=_received(said, rng),
                credibility=Credibility.PROBABLE,
                evidence_text="Relative visited the prison; the person is still there.",
            )
        if fate == "rearrested":
            again = released + dt.timedelta(days=41)
            claim_record(
                actor=actor,
                source=src["observatorio"],
                agreement=agreement,
                person=person,
                status=CustodyStatus.REARRESTED,
                event_date=again,
                received_at=_received(again + dt.timedelta(days=1), rng),
                credibility=Credibility.PROBABLE,
                evidence_text="Detained again at a peaceful gathering.",
            )
        if fate == "reported" and i % 2 == 0:
            # A press report with the wrong date, superseded by the same agency a day later.
            wrong = claim_record(
                actor=actor,
                source=src["independent-press"],
                person=person,
                status=status,
                event_date=released + dt.timedelta(days=3),
                received_at=_received(released + dt.timedelta(days=3), rng),
                credibility=Credibility.DOUBTFUL,
            )
            claim_record(
                actor=actor,
                source=src["independent-press"],
                person=person,
                status=status,
                event_date=released,
                corrects=wrong,
                received_at=_received(released + dt.timedelta(days=4), rng),
                credibility=Credibility.POSSIBLE,
                evidence_text="Correction: release date.",
            )
    last = start + dt.timedelta(days=23)
    claim_record(
        actor=actor,
        source=src["gov-foreign-ministry"],
        kind=ClaimKind.AGGREGATE,
        agreement=agreement,
        released_count=PROMISED,
        event_date=last,
        received_at=_received(last, rng),
        credibility=Credibility.DOUBTFUL,
        evidence_text="“The last of those on the list has been released.”",
    )
    claim_record(
        actor=actor,
        source=src["anon-official"],
        kind=ClaimKind.AGGREGATE,
        agreement=agreement,
        released_count=PROMISED - 4,
        event_date=last + dt.timedelta(days=1),
        received_at=_received(last + dt.timedelta(days=1), rng),
        credibility=Credibility.UNKNOWN,
        evidence_text="Officials, speaking on condition of anonymity, to the press.",
    )


def _disclosures(actor: User, agreement: Agreement, members: list[Person]) -> None:
    """The staged disclosure of the brief: every name to the legislature, some to the
    public (never those at risk), and one proposal still waiting for a second person."""
    users = {
        u.username: u for u in User.objects.filter(username__in=["analyst", "verifier", "admin"])
    }
    agreement_set_audience(actor=actor, agreement=agreement, audience="public")
    to_congress = disclosure_propose(
        actor=users["analyst"],
        audience=Audience.LEGISLATURE,
        agreement=agreement,
        reason="The counterpart government provides all names to the legislature.",
    )
    disclosure_approve(actor=users["verifier"], disclosure=to_congress)
    public = disclosure_propose(
        actor=users["analyst"],
        audience=Audience.PUBLIC,
        people=members[:12],
        reason="Released and confirmed; the families agreed to publication.",
    )
    disclosure_approve(actor=users["admin"], disclosure=public)
    disclosure_propose(
        actor=users["analyst"],
        audience=Audience.PUBLIC,
        people=members[12:20],
        reason="Proposed for the next press briefing.",
    )


def _other_leg(
    actor: User,
    first: Agreement,
    releasing: Party,
    counterpart: Party,
    src: dict[str, Source],
    gen: PersonGenerator,
    rng: random.Random,
) -> None:
    """The other leg of the 2014 exchange: the counterpart releases three people to the
    releasing government (synthetic), each confirmed by the releasing government's own
    ministry, which under this leg is the independent side."""
    leg = agreement_create(
        actor=actor,
        slug="cuba-us-2014-exchange",
        title="December 2014 exchange: the counterpart's releases (synthetic demo)",
        title_es=(
            "Intercambio de diciembre de 2014: excarcelaciones de la contraparte (demo sintética)"
        ),
        promisor=counterpart,
        promisee=releasing,
        announced_on=ANNOUNCED,
        promised_count=3,
        expected_release=CustodyStatus.PARDONED,
        confirm_min_grade="C",
        description="The counterpart's side of the exchange: three prisoners released.",
        description_es="La parte de la contraparte en el intercambio: tres presos excarcelados.",
        country="US",  # released where they were held
    )
    agreement_edit(actor=actor, agreement=first, exchange_legs=[leg])
    three = [
        _person(actor, gen.person(), rng, (2009, 2013), dt.date(2013, 12, 31)) for _ in range(3)
    ]
    agreement_add_members(actor=actor, agreement=leg, people=three, named_on=ANNOUNCED)
    for person in three:
        for source in ("counterpart-spokesperson", "gov-foreign-ministry"):
            claim_record(
                actor=actor,
                source=src[source],
                agreement=leg,
                person=person,
                status=CustodyStatus.PARDONED,
                event_date=ANNOUNCED,
                received_at=_received(ANNOUNCED, rng),
                credibility=Credibility.CONFIRMED,
            )
    agreement_set_audience(actor=actor, agreement=leg, audience="public")


def _later_agreements(
    actor: User,
    releasing: Party,
    counterpart: Party,
    src: dict[str, Source],
    gen: PersonGenerator,
    rng: random.Random,
) -> None:
    """Two agreements shaped like later cases (all names synthetic): a promise of 553
    conditional releases through a mediator, halted and then declared complete, with most
    of the count made of common prisoners; and a promise that gave no number, of which the
    government claims about 900 while the NGOs verify far fewer, with house arrest,
    exile, a death in custody, a re-arrest, and one release before the announcement."""
    mediator = party_create(
        actor=actor,
        slug="mediating-church",
        name="Mediating church (demo)",
        independence_group="mediating-church",
        kind=PartyKind.MEDIATOR,
    )

    def claim(source: str, day: dt.date, **kw: object) -> Claim:
        return claim_record(
            actor=actor,
            source=src[source],
            event_date=day,
            received_at=_received(day + dt.timedelta(days=1), rng),
            **kw,  # type: ignore[arg-type]
        )

    # --- January 2025-style: 553 promised, mediated, halted, declared complete ---------
    announced = dt.date(2025, 1, 14)
    gradual = agreement_create(
        actor=actor,
        slug="gradual-2025",
        title="Gradual release of 553 prisoners, January 2025 (synthetic demo)",
        title_es="Excarcelación gradual de 553 presos, enero de 2025 (demo sintética)",
        promisor=releasing,
        promisee=counterpart,
        mediators=[mediator],
        announced_on=announced,
        promised_count=553,
        expected_release=CustodyStatus.PAROLE,
        description=(
            "Announced through the mediator: 553 people to be released gradually, on "
            "conditions. The list was never published; the NGOs named those they could."
        ),
        description_es=(
            "Anunciada a través del mediador: 553 personas excarceladas de forma gradual, "
            "bajo condiciones. La lista nunca se publicó; las ONG nombraron a quienes pudieron."
        ),
    )
    people = [
        _person(actor, gen.person(), rng, (2021, 2024), dt.date(2024, 12, 31)) for _ in range(24)
    ]
    agreement_add_members(
        actor=actor,
        agreement=gradual,
        people=people,
        named_on=dt.date(2025, 1, 20),
        named_by=src["observatorio"],
        named_note="The NGO's list of those it could confirm, published on 20 January.",
    )
    claim(
        "gov-foreign-ministry",
        dt.date(2025, 1, 15),
        kind=ClaimKind.LIFECYCLE,
        agreement=gradual,
        lifecycle=Lifecycle.FIRST_RELEASES,
        evidence_text="State television: the first releases have taken place.",
    )
    for i, person in enumerate(people):
        day = dt.date(2025, 1, 15) + dt.timedelta(days=i % 12)
        if i < 18:
            claim(
                "observatorio",
                day,
                agreement=gradual,
                person=person,
                status=CustodyStatus.PAROLE if i % 4 else CustodyStatus.EXTRA_PENAL_LICENCE,
                credibility=Credibility.CONFIRMED,
                evidence_text="Spoke with the family after the release.",
            )
        elif i < 20:
            claim(
                "gov-state-press",
                day,
                agreement=gradual,
                person=person,
                status=CustodyStatus.PAROLE,
                credibility=Credibility.POSSIBLE,
            )
        if i in (3, 11):
            claim(
                "families",
                day + dt.timedelta(days=30),
                agreement=gradual,
                person=person,
                status=CustodyStatus.REARRESTED,
                credibility=Credibility.PROBABLE,
                evidence_text="Taken back to prison for breaking the conditions of release.",
            )
    claim(
        "observatorio",
        dt.date(2025, 1, 31),
        kind=ClaimKind.LIFECYCLE,
        agreement=gradual,
        lifecycle=Lifecycle.SUSPENDED,
        evidence_text="No release reported for a week; the mediator says the process is on hold.",
    )
    claim(
        "gov-foreign-ministry",
        dt.date(2025, 2, 20),
        kind=ClaimKind.AGGREGATE,
        agreement=gradual,
        released_count=553,
        breakdown={"political": 200, "other": 353, "conditional": 553},
        credibility=Credibility.DOUBTFUL,
        evidence_text="“All 553 have been released”; most of them for common offences.",
    )
    claim(
        "gov-foreign-ministry",
        dt.date(2025, 2, 20),
        kind=ClaimKind.LIFECYCLE,
        agreement=gradual,
        lifecycle=Lifecycle.DECLARED_COMPLETE,
        evidence_text="The ministry declares the process complete.",
    )
    # Two named people the NGO later found were common prisoners: counted apart.
    for person, reason in (
        (people[19], "Serving a sentence for theft; named on the first list by mistake."),
        (people[22], "Held for a common offence, not for political reasons."),
    ):
        member_classify(
            actor=actor,
            agreement=gradual,
            person=person,
            classification=Classification.OTHER,
            source=src["observatorio"],
            reason=reason,
            classified_on=dt.date(2025, 2, 3),
        )
    agreement_set_audience(actor=actor, agreement=gradual, audience="public")

    # --- 2026-style: no number promised; about 900 claimed, far fewer verified ---------
    announced = dt.date(2026, 3, 2)
    unnumbered = agreement_create(
        actor=actor,
        slug="releases-2026",
        title="Releases announced in March 2026 (synthetic demo)",
        title_es="Excarcelaciones anunciadas en marzo de 2026 (demo sintética)",
        promisor=releasing,
        promisee=counterpart,
        announced_on=announced,
        promised_count=None,
        description="The announcement gave no number; the government later spoke of about 900.",
        description_es=("El anuncio no dio ninguna cifra; el gobierno habló después de unas 900."),
    )
    people = [
        _person(actor, gen.person(), rng, (2021, 2025), dt.date(2025, 12, 31)) for _ in range(30)
    ]
    agreement_add_members(
        actor=actor,
        agreement=unnumbered,
        people=people,
        named_on=dt.date(2026, 3, 20),
        named_by=src["observatorio"],
        named_note="Names the NGO verified, published on 20 March.",
    )
    fates = (
        [CustodyStatus.UNCONDITIONAL_RELEASE] * 8
        + [CustodyStatus.PAROLE] * 6
        + [CustodyStatus.HOUSE_ARREST] * 4
        + [CustodyStatus.EXILED] * 3
        + [CustodyStatus.DIED_IN_CUSTODY]
        + ["rearrest", "before"]
        + [""] * 6
    )
    for i, (person, fate) in enumerate(zip(people, fates, strict=True)):
        day = announced + dt.timedelta(days=3 + i % 15)
        if not fate:
            continue
        if fate == "before":
            # Freed a month before the announcement: not one of the agreement's releases.
            claim(
                "observatorio",
                announced - dt.timedelta(days=30),
                person=person,
                status=CustodyStatus.UNCONDITIONAL_RELEASE,
                credibility=Credibility.CONFIRMED,
            )
            continue
        status = CustodyStatus.UNCONDITIONAL_RELEASE if fate == "rearrest" else fate
        claim(
            "observatorio",
            day,
            agreement=unnumbered,
            person=person,
            status=status,
            credibility=Credibility.CONFIRMED,
            evidence_text="Verified by the NGO's team.",
        )
        if fate == "rearrest":
            claim(
                "families",
                day + dt.timedelta(days=9),
                agreement=unnumbered,
                person=person,
                status=CustodyStatus.REARRESTED,
                credibility=Credibility.PROBABLE,
            )
    claim(
        "gov-foreign-ministry",
        dt.date(2026, 4, 10),
        kind=ClaimKind.AGGREGATE,
        agreement=unnumbered,
        released_count=897,
        credibility=Credibility.DOUBTFUL,
        evidence_text="“Some 900 people have benefited.”",
    )
    agreement_set_audience(actor=actor, agreement=unnumbered, audience="legislature")


def _mailing_lists(actor: User, agreement: Agreement) -> None:
    """Lists to follow by email: every update (daily), and the demo agreement's, sent as it
    happens (the worker `make run` starts sends it within a minute of the news)."""
    from detente.mailing.services import list_create

    list_create(actor=actor, slug="all-updates", kind="all")
    list_create(
        actor=actor,
        slug=agreement.slug,
        kind="agreement",
        agreement=agreement,
        frequency="immediate",
    )


def _statistics_release() -> None:
    """The public statistics as a release: proposed by the analyst, approved by the
    verifier (the public page shows nothing until one is approved)."""
    users = {u.username: u for u in User.objects.filter(username__in=["analyst", "verifier"])}
    release = statistics_propose(
        actor=users["analyst"], reason="First release of the demo's public statistics."
    )
    statistics_approve(actor=users["verifier"], release=release)


def load_demo(seed: int = 2014) -> DemoResult:
    """Load the scenario once; a second call only returns the existing logins."""
    if Agreement.objects.filter(slug=DEMO_AGREEMENT).exists():
        return DemoResult(created=False, logins=_read_logins())
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    gen = PersonGenerator(seed)
    with transaction.atomic():
        actor = cli_actor()
        logins = _demo_users(actor)
        releasing = party_create(
            actor=actor,
            slug="releasing-government",
            name="Releasing government (demo)",
            independence_group="releasing-government",
        )
        counterpart = party_create(
            actor=actor,
            slug="counterpart-government",
            name="Counterpart government (demo)",
            independence_group="counterpart-government",
        )
        src = _sources(actor)
        agreement = agreement_create(
            actor=actor,
            slug=DEMO_AGREEMENT,
            title="December 2014 release commitment (synthetic demo)",
            promisor=releasing,
            promisee=counterpart,
            announced_on=ANNOUNCED,
            promised_count=PROMISED,
            expected_release=CustodyStatus.UNCONDITIONAL_RELEASE,
            description="Fifty-three prisoners to be released; names withheld by both sides.",
        )
        members = [_person(actor, gen.person(), rng) for _ in range(NAMED)]
        others = [_person(actor, gen.person(), rng) for _ in range(NGO_LIST - 30)]
        raised = [_person(actor, gen.person(), rng) for _ in range(OTHER_CASES)]
        agreement_add_members(
            actor=actor, agreement=agreement, people=members, named_on=dt.date(2015, 1, 7)
        )
        # The NGO's own list, compiled before the deal: 30 of the named members and others.
        listed = rng.sample(members, 30) + others
        for person in listed:
            claim_record(
                actor=actor,
                source=src["observatorio"],
                person=person,
                status=CustodyStatus.SENTENCED,
                event_date=dt.date(2014, 11, 30),
                received_at=_received(dt.date(2014, 12, 1), rng),
                credibility=Credibility.PROBABLE,
                evidence_text="Quarterly list of political prisoners.",
            )
        _members_story(actor, agreement, members, src, rng)
        for person in raised:
            said = dt.date(2015, 3, rng.randint(1, 28))
            claim_record(
                actor=actor,
                source=src["families"],
                person=person,
                status=CustodyStatus.DETAINED,
                event_date=said,
                received_at=_received(said, rng),
                credibility=Credibility.PROBABLE,
                evidence_text="Case raised with the counterpart embassy.",
            )
        _disclosures(actor, agreement, members)
        _other_leg(actor, agreement, releasing, counterpart, src, gen, rng)
        _later_agreements(actor, releasing, counterpart, src, gen, rng)
        _statistics_release()
        _mailing_lists(actor, agreement)
        casework_demo.load(
            {u.username: u for u in User.objects.filter(username__in=["analyst", "verifier"])},
            agreement,
            counterpart,
            raised,
            rng,
        )
        _write_logins(logins)
    return DemoResult(
        created=True,
        logins=logins,
        people=Person.objects.count(),
        claims=Claim.objects.count(),
    )
