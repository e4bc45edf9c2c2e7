"""Which app may import which (issue 18, point 3): the layering, as a table to read.

Read LAYERS from the bottom up. An app may import any app in a lower layer. Within a
layer it may import only the apps SIDEWAYS names for it, each with the reason. Anything
else is an upward import: it is refused, unless EXCEPTIONS names the module doing it,
with why it is there and what would remove it.

The test reads every module under src/detente with ``ast`` (imports inside functions
and migrations included) and fails on an import the tables do not allow, so a new
upward import is seen when it is written, not when the knot has grown back. An
exception that is no longer needed fails too: delete its line. docs/architecture.md
("Layers") says the same in prose.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "detente"

# Bottom first. Each app may import every app in the layers below its own.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # Dates with precision, errors, exports, places, text folding, security headers,
    # the admin's base, the command line's shared parts; Django's date formats.
    ("foundation", ("core", "formats")),
    # Pure mathematics: the multiple systems estimators (no Django models).
    ("methods", ("estimation",)),
    # The append-only, hash-chained ledger every service writes to.
    ("ledger", ("audit",)),
    # Who may do what (roles), and who is who (accounts, sign-in, second factor); the
    # encryption keys (master and data keys) every record sealed at rest uses.
    ("policy and accounts", ("access", "accounts", "keys")),
    # The record: people, claims and their verification, agreements and their members.
    ("record", ("registry", "evidence", "agreements")),
    # Work done on the record: matching names, importing lists, publishing statistics,
    # email updates, casework.
    ("work", ("matching", "reconcile", "publishing", "mailing", "casework")),
    # The faces (staff site, oversight pages, public site, API) and the whole-system
    # tools (the demo scenario, backups).
    ("faces", ("staff", "oversight", "web", "api", "demo", "backups")),
]

# Imports between apps of the same layer, each with its reason.
SIDEWAYS: dict[tuple[str, str], str] = {
    ("accounts", "access"): "an account's roles are the policy's groups",
    ("keys", "access"): "`detente keys rotate` acts as the command line's operator (cli_actor)",
    # The record is one knot by design: a claim recorded re-derives the members' states of
    # the person's agreements in the same transaction, and the person page reads both.
    ("evidence", "registry"): "a claim is about a person",
    ("agreements", "registry"): "members are people",
    ("agreements", "evidence"): "members' states are derived from claims (verification)",
    ("evidence", "agreements"): "recording a claim re-derives memberships; the queue lists them",
    ("registry", "evidence"): "the person page shows claims; a merge moves them",
    ("registry", "agreements"): "the person page shows memberships; a merge re-derives them",
    ("reconcile", "matching"): "an import links its rows to people by matching names",
    ("publishing", "matching"): "statistics group people by province read from loose text",
    ("casework", "mailing"): "reminders are emailed with the mailing settings",
    # The staff site is one site in several apps: oversight shares its layout and forms.
    ("oversight", "staff"): "the source field of the staff forms",
    ("staff", "oversight"): "the archive form; who counts as an administrator",
    ("oversight", "api"): "the API tokens page manages api's tokens",
    ("oversight", "web"): "the statistics page shows the public tables as published",
    ("staff", "web"): "the estimates page draws the public site's interval chart",
    ("api", "web"): "the briefing PDF is the public agreement page printed",
    ("api", "oversight"): "the access history is oversight's selectors",
    ("staff", "demo"): "`detente demo` lives with the staff site whose logins it prints",
}

# Upward imports that remain, by module: why, and what would remove it.
EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    # Disclosure (who outside the staff sees which identities) lives in access, beside the
    # role policy that everything imports.
    ("access.visibility", "agreements"): (
        "an identity disclosed through an agreement is visible through its members",
        "moving disclosure (models, visibility, selectors, services) out of access into an "
        "app above the record, leaving access the policy alone",
    ),
    ("access.visibility", "registry"): ("the same: disclosed people", "the same move"),
    ("access.selectors", "agreements"): ("the disclosure report of an agreement", "same"),
    ("access.selectors", "registry"): ("disclosures of named people", "the same move"),
    ("access.services", "agreements"): (
        "a disclosure decided re-derives the agreement's public figures",
        "the same move",
    ),
    ("access.services", "registry"): ("a disclosure names people", "the same move"),
    ("access.models", "publishing"): (
        "a statistics release's approval is a disclosure, checked against the tables",
        "the same move",
    ),
    ("accounts.management.commands.user", "demo"): (
        "`user totp-code` works only for the accounts the demo made",
        "the demo marking its accounts (a flag on the account) instead of accounts asking "
        "demo for their names",
    ),
    ("agreements.management.commands.agreement", "web"): (
        "`agreement briefing` renders the public page's PDF, made by web.views",
        "the briefing's rendering moving out of web.views into a module of its own in a "
        "lower app (or the subcommand into web)",
    ),
    ("evidence.estimates", "reconcile"): (
        "an import's decided rows can be one of the lists an estimate compares",
        "reconcile registering its runs as a kind of list with evidence.estimates",
    ),
    ("registry.search", "matching"): (
        "the name search uses matching's name rules and its candidate index",
        "the pure name rules (matching.names, matching.places) under the record, e.g. in "
        "core.text; the index given to the search by matching at start-up",
    ),
    ("registry.services", "matching"): (
        "a province written as text is read as its ISO division (division_from_text)",
        "the same: matching.places under the record",
    ),
    ("registry.migrations.0005_identity_country_division", "matching"): (
        "the data migration reads the provinces already recorded with the same rule",
        "the same: matching.places under the record",
    ),
    ("mailing.management.commands.db_worker", "casework"): (
        "the worker also sends casework's task reminders",
        "apps registering their periodic work with core.periodic, the worker running "
        "whatever is registered",
    ),
    ("mailing.management.commands.db_worker", "web"): (
        "the worker also refreshes the public pages' copies",
        "the same registration",
    ),
    ("casework.views", "staff"): (
        "casework's pages are staff pages and use the staff page frame (staff.common)",
        "the page frame moving under the faces (e.g. core) or casework's views into staff",
    ),
}

PROJECT_SHELL = {"settings", "urls", "wsgi", "cli"}  # the project itself: may import any app


def _layer_of() -> dict[str, int]:
    return {app: i for i, (_name, apps) in enumerate(LAYERS) for app in apps}


def may_import(app: str, other: str) -> bool:
    layer = _layer_of()
    return layer[other] < layer[app] or (app, other) in SIDEWAYS


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path) -> set[str]:
    """Every detente module this file imports, at the top or inside a function."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                base = package[: len(package) - node.level + 1]
                name = ".".join(["detente", *base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.add(name)
            # `from detente import registry` imports the app itself.
            found |= {f"{name}.{alias.name}" for alias in node.names if name == "detente"}
    return {name for name in found if name.startswith("detente.")}


def imports_between_apps() -> dict[tuple[str, str], set[str]]:
    """(module, other app) -> the modules of the other app it imports."""
    edges: dict[tuple[str, str], set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        app = module.split(".")[0]
        if app in PROJECT_SHELL:
            continue
        for name in _imported(path):
            other = name.split(".")[1]
            if other != app and other not in PROJECT_SHELL:
                edges.setdefault((module, other), set()).add(name)
    return edges


def _apps() -> set[str]:
    return {p.parent.name for p in SRC.glob("*/__init__.py")}


def test_every_app_has_a_layer() -> None:
    placed = [app for _name, apps in LAYERS for app in apps]
    assert len(placed) == len(set(placed))
    assert _apps() == set(placed)


def test_the_scan_sees_the_imports() -> None:
    # Against a scan that finds nothing: the record imports the ledger, core nothing up.
    edges = imports_between_apps()
    assert ("evidence.services", "audit") in edges
    assert ("registry.search", "matching") in edges  # an import inside a function
    assert len(edges) > 300


def test_no_app_imports_above_its_layer() -> None:
    refused = sorted(
        f"{module} imports {', '.join(sorted(names))}"
        for (module, other), names in imports_between_apps().items()
        if not may_import(module.split(".")[0], other) and (module, other) not in EXCEPTIONS
    )
    assert refused == [], (
        "An import the layering does not allow (tests/foundation/test_layering.py): move "
        "the code to the app that may import it, or pass what is needed down"
    )


def test_core_imports_no_other_app_but_the_named_exceptions() -> None:
    edges = imports_between_apps()
    upward = {(module, other) for module, other in edges if module.split(".")[0] == "core"}
    assert upward == {key for key in EXCEPTIONS if key[0].startswith("core.")}


def test_every_exception_is_still_needed() -> None:
    edges = imports_between_apps()
    stale = [key for key in EXCEPTIONS if key not in edges]
    assert stale == [], "no longer imported: delete these from EXCEPTIONS"
    allowed = [key for key in EXCEPTIONS if may_import(key[0].split(".")[0], key[1])]
    assert allowed == [], "the layers allow these already: delete them from EXCEPTIONS"
    unused = [
        pair
        for pair in SIDEWAYS
        if not any((module.split(".")[0], other) == pair for module, other in edges)
    ]
    assert unused == [], "no longer imported sideways: delete these from SIDEWAYS"
