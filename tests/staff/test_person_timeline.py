"""The person page's timeline tells the same story as the claims below it and the status
above it: the same claims, by the date of the event, without those left out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.test import Client
from tests.support import World, at

from detente.evidence.models import ClaimKind, Credibility
from detente.evidence.services import claim_record
from detente.registry.services import custody_episode_add, person_create
from detente.registry.status import CustodyStatus


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def _story(world: World) -> dict[str, int]:
    """Six claims: two releases, a sighting in prison the family then retracts, and an NGO
    report corrected with a day. The embassy's word arrives last but happened early."""
    person, agreement = world.person(), world.agreement

    def record(source: str, status: str, day: dt.date, received: str, **more: object) -> int:
        return claim_record(
            actor=world.actor,
            source=world.sources[source],
            person=person,
            agreement=agreement,
            status=status,
            event_date=day,
            received_at=at(received),
            credibility=Credibility.PROBABLE,
            **more,  # type: ignore[arg-type]
        ).pk

    ids = {
        "gov": record("gov", CustodyStatus.PAROLE, dt.date(2020, 2, 1), "2020-02-02"),
        "family": record("family", CustodyStatus.DETAINED, dt.date(2020, 2, 5), "2020-02-06"),
        "ngo": record(
            "ngo",
            CustodyStatus.PAROLE,
            dt.date(2020, 3, 1),
            "2020-03-02",
            event_precision="month",
        ),
    }
    family = claim_record(
        actor=world.actor,
        source=world.sources["family"],
        kind=ClaimKind.RETRACTION,
        person=person,
        corrects=person.claims.get(pk=ids["family"]),
        received_at=at("2020-02-08"),
    )
    ids["retraction"] = family.pk
    ids["ngo_fixed"] = record(
        "ngo",
        CustodyStatus.PAROLE,
        dt.date(2020, 2, 20),
        "2020-03-03",
        corrects=person.claims.get(pk=ids["ngo"]),
    )
    ids["embassy"] = record("embassy", CustodyStatus.PAROLE, dt.date(2020, 2, 3), "2020-03-10")
    return ids


def test_the_timeline_is_made_of_the_claims_that_stand(
    world: World, signed_in: Callable[..., Client]
) -> None:
    ids = _story(world)
    html = signed_in("analyst").get(f"/staff/people/{world.person().handle}/").content.decode()
    timeline = _section(html, "custody-h")
    claims = _section(html, "claims-h")
    status = _section(html, "status-h")

    # Every claim is in the list; the timeline has exactly those the status still reads.
    listed = {int(i) for i in re.findall(r'<li id="claim-(\d+)"', claims)}
    assert listed == set(ids.values())
    left_out = {ids["family"], ids["retraction"], ids["ngo"]}
    in_timeline = {int(i) for i in re.findall(r'href="#claim-(\d+)"', timeline)}
    assert in_timeline == listed - left_out
    # The status says the same claims are left out, and the list says why.
    general = status[: status.index("</div>")]
    out = re.search(r"Left out \(retracted or superseded\)</dt><dd>(.*?)</dd>", general)
    assert out is not None
    assert {int(i) for i in re.findall(r"#(\d+)", out.group(1))} == left_out
    assert f'Left out: retracted by <a href="#claim-{ids["retraction"]}">' in claims
    assert f'Left out: superseded by <a href="#claim-{ids["ngo_fixed"]}">' in claims

    # By the date of the event, not of receipt (the embassy's word came in last), after
    # the custody record; each line in the same words as its claim below.
    lines = re.findall(
        r'<span class="when">([^<]*)</span>\s*<span class="what">([^<]*)</span>', timeline
    )
    assert lines == [
        ("1 May 2018", "Sentenced"),
        ("1 Feb 2020", "Conditional release: parole"),
        ("3 Feb 2020", "Conditional release: parole"),
        ("20 Feb 2020", "Conditional release: parole"),
    ]
    for claim_id in in_timeline:
        head = re.search(
            rf'id="claim-{claim_id}".*?<strong>[^<]*</strong> · <strong>([^<]*)', claims, re.S
        )
        assert head is not None and head.group(1) == "Conditional release: parole"
    # The release date the status gives is a day in the timeline.
    released = re.search(r"released on ([^<·]+?)(?: <|</p>| ·)", general)
    assert (
        released is not None and (released.group(1).strip(), "Conditional release: parole") in lines
    )


def test_a_merged_record_brings_its_custody_episodes_along(
    world: World, signed_in: Callable[..., Client]
) -> None:
    """The status reads the custody record of everyone merged into the person (their
    latest arrest): the timeline shows that record too."""
    from detente.reconcile.services import person_merge

    survivor = world.person()
    twin = person_create(actor=world.actor, given_names="Yoandri", paternal_surname="Pérez")
    custody_episode_add(
        actor=world.actor,
        person=twin,
        status=CustodyStatus.AWAITING_TRIAL,
        start_date=dt.date(2021, 6, 1),
        place="Villa Marista",
    )
    person_merge(actor=world.actor, survivor=survivor, merged=twin, reason="same person")
    html = signed_in("verifier").get(f"/staff/people/{survivor.handle}/").content.decode()
    timeline = _section(html, "custody-h")
    assert "1 May 2018" in timeline and "1 Jun 2021" in timeline and "Villa Marista" in timeline
