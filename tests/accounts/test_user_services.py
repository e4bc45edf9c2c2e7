"""Creating accounts and changing their role: administrators only, validated, audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from tests.accounts.kit import entries
from tests.support import make_user

from detente.access.policy import Action, Role, can, roles_of
from detente.accounts.services import role_of, user_create, user_set_role
from detente.audit import ledger
from detente.audit.models import AuditEntry

GOOD_PASSWORD = "a long walk by the malecon 7"


@pytest.fixture
def admin(db: object) -> User:
    return make_user("ada", Role.ADMINISTRATOR)


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


def test_an_administrator_creates_an_account_with_a_role(admin: User) -> None:
    user = user_create(
        actor=admin, username="vera", role=Role.VERIFIER, password=GOOD_PASSWORD, email="v@x.org"
    )

    user = User.objects.get(pk=user.pk)
    assert roles_of(user) == {Role.VERIFIER}
    assert user.is_staff and user.is_active and user.check_password(GOOD_PASSWORD)
    assert entries("user.create") == [{"username": "vera", "role": "verifier"}]
    assert ledger.verify().ok


def test_the_password_and_address_never_reach_the_ledger(admin: User) -> None:
    user_create(
        actor=admin, username="vera", role=Role.ANALYST, password=GOOD_PASSWORD, email="v@x.org"
    )
    text = " ".join(AuditEntry.objects.values_list("data", flat=True))
    assert GOOD_PASSWORD not in text and "v@x.org" not in text


def test_an_account_without_a_role_is_not_staff(admin: User) -> None:
    user = user_create(actor=admin, username="pablo", role="", password=GOOD_PASSWORD)
    assert roles_of(User.objects.get(pk=user.pk)) == frozenset()
    assert not user.is_staff


@pytest.mark.parametrize("role", [Role.VERIFIER, Role.ANALYST, Role.LEGISLATURE, None])
def test_only_administrators_create_accounts(db: object, role: str | None) -> None:
    someone = make_user("someone", role)
    with pytest.raises(PermissionDenied):
        user_create(actor=someone, username="x", role=Role.ANALYST, password=GOOD_PASSWORD)
    assert not User.objects.filter(username="x").exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "  "}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "ADA"}, "username"),  # taken, whatever the case
        ({"role": "superhero"}, "role"),
        ({"email": "not-an-address"}, "email"),
        ({"password": ""}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "newbie-user"}, "password"),  # too close to the username
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    admin: User, changes: dict[str, str], field: str
) -> None:
    values = {"username": "newbie", "role": Role.ANALYST, "password": GOOD_PASSWORD, "email": ""}
    values.update(changes)
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        user_create(actor=admin, **values)
    assert fields(exc) == {field}
    assert User.objects.count() == before
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_changing_a_role_replaces_the_old_one_and_is_audited(admin: User) -> None:
    user = make_user("ana", Role.ANALYST)
    user.is_staff = True
    user.save()

    user_set_role(actor=admin, user=user, role=Role.LEGISLATURE, reason="moved to the committee")

    fresh = User.objects.get(pk=user.pk)
    assert roles_of(fresh) == {Role.LEGISLATURE}
    assert not can(fresh, Action.READ)
    assert not fresh.is_staff  # no longer opens the admin
    assert role_of(fresh) == Role.LEGISLATURE
    assert entries("user.role") == [
        {
            "username": "ana",
            "before": "analyst",
            "after": "legislature",
            "reason": "moved to the committee",
        }
    ]


def test_several_old_roles_become_exactly_one(admin: User) -> None:
    user = make_user("ana", Role.ANALYST)
    user.groups.add(*User.objects.get(pk=admin.pk).groups.all())  # also administrator
    user_set_role(actor=admin, user=user, role=Role.VERIFIER)
    assert roles_of(User.objects.get(pk=user.pk)) == {Role.VERIFIER}


def test_removing_every_role(admin: User) -> None:
    user = make_user("ana", Role.ANALYST)
    user_set_role(actor=admin, user=user, role="")
    assert roles_of(User.objects.get(pk=user.pk)) == frozenset()
    assert entries("user.role")[0]["after"] is None


def test_an_administrator_cannot_change_their_own_role(admin: User) -> None:
    with pytest.raises(ValidationError) as exc:
        user_set_role(actor=admin, user=admin, role=Role.ANALYST)
    assert fields(exc) == {"role"}
    assert roles_of(User.objects.get(pk=admin.pk)) == {Role.ADMINISTRATOR}


def test_the_same_role_again_is_refused(admin: User) -> None:
    user = make_user("ana", Role.ANALYST)
    with pytest.raises(ValidationError, match="already has the role"):
        user_set_role(actor=admin, user=user, role=Role.ANALYST)
    assert not AuditEntry.objects.filter(action="user.role").exists()


def test_a_superusers_role_is_left_to_the_command_line(admin: User) -> None:
    boss = User.objects.create_superuser("boss", password=GOOD_PASSWORD)
    with pytest.raises(ValidationError, match="superuser"):
        user_set_role(actor=admin, user=boss, role=Role.ANALYST)


def test_a_verifier_cannot_change_roles(admin: User) -> None:
    verifier = make_user("vera", Role.VERIFIER)
    user = make_user("ana", Role.ANALYST)
    with pytest.raises(PermissionDenied):
        user_set_role(actor=verifier, user=user, role=Role.ADMINISTRATOR)
    assert roles_of(User.objects.get(pk=user.pk)) == {Role.ANALYST}


def test_an_unknown_role_is_refused(admin: User) -> None:
    user = make_user("ana", Role.ANALYST)
    with pytest.raises(ValidationError) as exc:
        user_set_role(actor=admin, user=user, role="root")
    assert fields(exc) == {"role"}


def test_the_role_decides_who_opens_the_admin_not_the_is_staff_flag(db: None) -> None:
    """Issue 18, point 4: one source of truth for staff. An account whose flag drifted from
    its role (set by hand, or by an old import) is treated by its role."""
    from django.test import Client

    flagged = make_user("flag-only", None, staff=True)  # is_staff, but no role
    roled = make_user("role-only", Role.VERIFIER)
    User.objects.filter(pk=roled.pk).update(is_staff=False)  # role, but the flag lost
    for user, opens in ((flagged, False), (roled, True)):
        client = Client()
        client.force_login(User.objects.get(pk=user.pk))
        answer = client.get("/admin/")
        assert (answer.status_code == 200) is opens, (user.username, answer.status_code)
        assert (client.get("/staff/").status_code == 200) is opens


def test_an_accounts_is_staff_flag_follows_its_role(admin: User) -> None:
    user_create(actor=admin, username="leg1", role=Role.LEGISLATURE, password="Long-enough-pw-1")
    user_create(actor=admin, username="ana1", role=Role.ANALYST, password="Long-enough-pw-2")
    assert not User.objects.get(username="leg1").is_staff
    assert User.objects.get(username="ana1").is_staff
