"""The review queue of uncertain import matches, in the staff application."""

from __future__ import annotations

from django.test import Client
from tests.security.routes_staff import _queued_row
from tests.support import World, make_user

from detente.reconcile.models import Decision, ImportRow


def test_a_verifier_sees_the_candidates_and_decides_from_the_page(world: World) -> None:
    row = ImportRow.objects.get(pk=_queued_row(world))
    client = Client()
    client.force_login(make_user("vera", "verifier"))
    listing = client.get("/staff/review/").content.decode()
    assert f"/staff/review/{row.pk}/" in listing and "Yoandri 0 Perez" in listing
    page = client.get(f"/staff/review/{row.pk}/").content.decode()
    assert world.person(0).handle in page and "probability" in page
    # Choosing without a handle is refused on the field, nothing decided.
    refused = client.post(f"/staff/review/{row.pk}/decide/", {"decision": "choose"})
    assert refused.status_code == 400 and "Give the handle" in refused.content.decode()
    row.refresh_from_db()
    assert row.decision == ""
    done = client.post(
        f"/staff/review/{row.pk}/decide/",
        {"decision": "choose", "handle": world.person(0).handle, "note": "same family"},
    )
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.decision == Decision.CHOSEN and row.person == world.person(0)


def test_an_analyst_reads_but_cannot_decide(world: World) -> None:
    row = ImportRow.objects.get(pk=_queued_row(world))
    client = Client()
    client.force_login(make_user("ana", "analyst"))
    page = client.get(f"/staff/review/{row.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Las coincidencias las deciden verificadores" in page
    assert client.post(f"/staff/review/{row.pk}/decide/", {"decision": "reject"}).status_code == 403
