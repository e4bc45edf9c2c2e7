"""Links in emails and invitations point at the address being served unless the operator
says otherwise (issue 14 point 2: they pointed at port 8000 whatever port served)."""

from __future__ import annotations

from detente.core.management.commands.serve import public_url


def test_the_served_port_unless_the_operator_names_the_address() -> None:
    assert public_url("127.0.0.1", 8765, {}) == "http://127.0.0.1:8765"
    assert public_url("0.0.0.0", 9000, {}) == "http://127.0.0.1:9000"  # noqa: S104
    named = {"DETENTE_PUBLIC_URL": "https://detente.example.org/"}
    assert public_url("127.0.0.1", 8765, named) == "https://detente.example.org"
