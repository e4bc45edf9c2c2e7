"""Publishing a statistics release in tests: proposed by one analyst, approved by a
different verifier (the two-person rule)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from detente.access.models import StatisticsRelease
from detente.access.policy import Role
from detente.publishing.releases import statistics_approve, statistics_propose


def user(name: str, role: str) -> User:
    found, created = User.objects.get_or_create(username=name)
    if created:
        found.groups.add(Group.objects.get_or_create(name=role)[0])
    return found


def release(reason: str = "Quarterly figures.") -> StatisticsRelease:
    proposed = statistics_propose(actor=user("stats-analyst", Role.ANALYST), reason=reason)
    return statistics_approve(actor=user("stats-verifier", Role.VERIFIER), release=proposed)
