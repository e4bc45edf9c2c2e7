"""API tokens on the staff pages: made by their owner, shown exactly once, revoked by
their owner or an administrator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from tests.oversight.kit import entries, field_errors, page

from detente.access.policy import Role
from detente.api.models import ApiToken
from detente.api.services import token_create

FORM = {"name": "nightly sync", "scope": "read", "days": "30"}


def test_a_token_is_shown_once_and_never_again(login: Callable[..., Client]) -> None:
    client = login("analyst")
    response = client.post("/staff/tokens/", FORM)
    assert response.status_code == 201
    secret = response.context["created"]["secret"]
    assert secret.startswith("dtn_")
    html = page(response)
    assert secret in html and "it will not be shown again" in html
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.user) == ("nightly sync", "read", client.user)  # type: ignore[attr-defined]
    assert secret not in token.digest  # only a hash is kept

    later = page(client.get("/staff/tokens/"))
    assert secret not in later and secret.split("_", 2)[2] not in later
    assert f"dtn_{token.prefix}_…" in later  # recognisable by its beginning
    assert entries("api.token_create")[0]["name"] == "nightly sync"


def test_the_token_works_for_the_api(login: Callable[..., Client]) -> None:
    client = login("analyst")
    secret = client.post("/staff/tokens/", FORM).context["created"]["secret"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/agreements").status_code == 200


def test_bad_input_stays_in_the_form(login: Callable[..., Client]) -> None:
    response = login("analyst").post("/staff/tokens/", {**FORM, "days": "400"})
    assert response.status_code == 200
    assert list(field_errors(response)) == ["days"]
    assert 'value="nightly sync"' in page(response)
    assert not ApiToken.objects.exists()


def test_an_account_that_may_not_record_is_offered_read_only(
    login: Callable[..., Client],
) -> None:
    client = login("legislature")
    form = client.get("/staff/tokens/").context["form"]
    assert [value for value, _label in form.fields["scope"].choices] == ["read"]
    response = client.post("/staff/tokens/", {**FORM, "scope": "write"})
    assert list(field_errors(response)) == ["scope"]
    assert not ApiToken.objects.exists()
    assert client.post("/staff/tokens/", FORM).status_code == 201


def test_owners_revoke_their_own(login: Callable[..., Client]) -> None:
    client = login("analyst")
    client.post("/staff/tokens/", FORM)
    token = ApiToken.objects.get()
    response = client.post(f"/staff/tokens/{token.pk}/revoke/", follow=True)
    assert "Token “nightly sync” revoked." in page(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked on" in page(response)


def test_someone_elses_token_is_not_found_and_not_listed(login: Callable[..., Client]) -> None:
    owner = login("verifier")
    owner.post("/staff/tokens/", FORM)
    token = ApiToken.objects.get()
    other = login("analyst")
    assert "nightly sync" not in page(other.get("/staff/tokens/"))
    assert other.post(f"/staff/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_administrators_see_and_revoke_everyones(login: Callable[..., Client]) -> None:
    owner = login("analyst", username="ana")
    owner.post("/staff/tokens/", FORM)
    token = ApiToken.objects.get()
    admin = login(Role.ADMINISTRATOR)
    listing = admin.get("/staff/tokens/")
    assert list(listing.context["page"].object_list) == [token]
    assert "ana" in page(listing)
    assert list(admin.get("/staff/tokens/?user=ana").context["page"].object_list) == [token]
    assert not admin.get("/staff/tokens/?user=nobody").context["page"].object_list
    assert admin.post(f"/staff/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert entries("api.token_revoke")[0]["user"] == "ana"


def test_an_expired_token_says_so(login: Callable[..., Client]) -> None:
    import datetime as dt

    from django.utils import timezone

    client = login("analyst")
    token, _secret = token_create(actor=client.user, user=client.user, name="old", scope="read")  # type: ignore[attr-defined]
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    html = page(client.get("/staff/tokens/"))
    assert "Expired" in html and f"/staff/tokens/{token.pk}/revoke/" not in html


def test_revoking_needs_a_post(login: Callable[..., Client]) -> None:
    assert login("analyst").get("/staff/tokens/1/revoke/").status_code == 405


def test_signing_in_is_required(db: object) -> None:
    response = Client().get("/staff/tokens/")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("language", ["es"])
def test_in_spanish(login: Callable[..., Client], language: str) -> None:
    client = login("analyst", language=language)
    response = client.post("/staff/tokens/", FORM)
    assert "Cópielo ahora: no se volverá a mostrar." in page(response)
    refused = client.post("/staff/tokens/", {**FORM, "name": ""})
    assert field_errors(refused) == {"name": ["Este campo es obligatorio."]}
