"""Every setting an operator may give Detente, in one table: its environment variable,
what applies when it is not set, and what it does. ``detente config`` prints it with the
values in force (secrets masked); docs/operations.md ("Every setting") lists the same
names, and a test holds the three together with the variables the code reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # what applies when it is not set, in words or as the value
    meaning: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    # Where and what
    Variable(
        "DETENTE_DATA_DIR",
        "the checkout's var/",
        "the data directory: the SQLite database, keys, uploads, attachments, saved indexes",
    ),
    Variable(
        "DATABASE_URL",
        "SQLite in the data directory",
        "sqlite:///path or postgres://user:password@host:port/name",
        secret=True,
    ),
    Variable(
        "DETENTE_SECRET_KEY",
        "generated into the data directory's keys/",
        "Django's secret key",
        secret=True,
    ),
    Variable("DETENTE_DEBUG", "0", "1: development error pages (refused in production)"),
    Variable("DETENTE_PRODUCTION", "0", "1: behind TLS; secure cookies, HSTS, strict checks"),
    Variable("DETENTE_ALLOWED_HOSTS", "127.0.0.1,localhost", "host names served, comma-separated"),
    Variable("DETENTE_BEHIND_PROXY", "0", "1: trust X-Forwarded-Proto from the proxy"),
    Variable(
        "DETENTE_TRUSTED_PROXIES",
        "none",
        "proxy addresses whose X-Forwarded-For is believed (login limits), comma-separated",
    ),
    Variable(
        "DETENTE_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "the site's address, for links in emails and invitations",
    ),
    Variable("DETENTE_WORKERS", "3", "web server processes of `detente serve`"),
    Variable(
        "DETENTE_WARM_INDEX",
        "1",
        "0: each web server process builds the matching index at its first search or match "
        "instead of as it starts (building opens every sealed identity: docs/keys.md)",
    ),
    Variable(
        "DETENTE_TASKS",
        "database",
        "immediate: background tasks run in the request (development without a worker)",
    ),
    # Registry and statistics
    Variable("DETENTE_COUNTRY", "CU", "the registry's country (ISO 3166-1 alpha-2)"),
    Variable(
        "DETENTE_STATISTICS_COUNTRIES",
        "none",
        "other countries whose divisions are rows of the statistics, comma-separated",
    ),
    Variable(
        "DETENTE_PROVINCES",
        "the countries' ISO 3166-2 divisions",
        "the statistics' place rows as province names, comma-separated",
    ),
    Variable(
        "DETENTE_STATISTICS_REGIONS",
        "Cuba's three regions for CU",
        'regions as JSON {"Region": ["CU-01", …]}',
    ),
    Variable("DETENTE_STATISTICS_FIRST_YEAR", "2015", "years before it are one column"),
    Variable("DETENTE_SUPPRESSION_THRESHOLD", "5", "public counts under this are withheld"),
    # Imports and files
    Variable("DETENTE_IMPORT_MAX_MB", "50", "largest list file an import takes"),
    Variable("DETENTE_IMPORT_KEEP_HOURS", "24", "hours an unfinished web import is kept"),
    Variable("DETENTE_ATTACHMENT_MAX_MB", "25", "largest evidence file"),
    Variable(
        "DETENTE_ATTACHMENT_MAX_UNPACKED_MB",
        "100",
        "largest unpacked size of an Office file (zip bombs)",
    ),
    # Accounts and the API
    Variable("DETENTE_API_RATE_PER_MINUTE", "120", "requests per token per calendar minute"),
    Variable(
        "DETENTE_LOGIN_MAX_FAILURES",
        "5",
        "failed sign-ins for one username from one address before it locks",
    ),
    Variable(
        "DETENTE_LOGIN_MAX_FAILURES_PER_ADDRESS",
        "50",
        "failed sign-ins from one address, all usernames",
    ),
    Variable("DETENTE_LOGIN_WINDOW_SECONDS", "900", "window of the counts and length of a lock"),
    Variable("DETENTE_INVITATION_HOURS", "72", "hours an invitation link works"),
    # The ledger
    Variable(
        "DETENTE_SIGNING_KEY_FILE",
        "~/.config/detente/ledger-ed25519.pem",
        "the key that signs checkpoints (outside the data directory)",
    ),
    Variable("DETENTE_LEDGER_ORIGIN", "detente-ledger", "the ledger's name in checkpoints"),
    Variable(
        "DETENTE_WITNESSES",
        "none",
        "witnesses asked to cosign checkpoints: '<vkey> <https URL>' separated by ;",
    ),
    Variable("DETENTE_WITNESS_TIMEOUT", "10", "seconds to wait for a witness"),
    Variable(
        "DETENTE_WITNESS_DIR",
        "~/.local/state/detente/witness",
        "a witness's own state (`detente witness`)",
    ),
    # Encryption at rest
    Variable(
        "DETENTE_MASTER_KEY",
        "none (the key file is read)",
        "the master key that wraps the data keys of notes and files (docs/keys.md)",
        secret=True,
    ),
    Variable(
        "DETENTE_MASTER_KEY_FILE",
        "~/.config/detente/master-key",
        "the master key's file, outside the data directory; made outside production",
    ),
    # Backups
    Variable(
        "DETENTE_BACKUP_DIR", "none (no scheduled backups)", "folder of the scheduled backups"
    ),
    Variable(
        "DETENTE_BACKUP_RECIPIENTS",
        "none",
        "age public keys backups are encrypted to, separated by spaces or commas",
    ),
    Variable("DETENTE_BACKUP_RECIPIENTS_FILE", "none", "a file of age public keys, one a line"),
    Variable("DETENTE_BACKUP_INTERVAL_HOURS", "24", "hours between scheduled backups"),
    Variable("DETENTE_BACKUP_KEEP", "14", "scheduled backups kept"),
    # The background worker and public pages
    Variable(
        "DETENTE_PUBLIC_PAGES",
        "background in production, else request",
        "who makes the public pages' shared copies",
    ),
    Variable("DETENTE_PUBLIC_MAX_AGE", "600", "seconds a public page's copy is current"),
    Variable("DETENTE_PUBLIC_REFRESH", "2", "seconds between the worker's looks for pages to make"),
    Variable(
        "DETENTE_REMINDER_SECONDS", "300", "seconds between the worker's looks for task reminders"
    ),
    # Email
    Variable("DETENTE_EMAIL_HOST", "none (mail printed to the console)", "SMTP relay"),
    Variable("DETENTE_EMAIL_PORT", "25", "SMTP port"),
    Variable("DETENTE_EMAIL_USER", "none", "SMTP user"),
    Variable("DETENTE_EMAIL_PASSWORD", "none", "SMTP password", secret=True),
    Variable("DETENTE_EMAIL_SECURITY", "none", "starttls or ssl"),
    Variable(
        "DETENTE_EMAIL_BACKEND", "SMTP or console", "any Django email backend (an Anymail ESP)"
    ),
    Variable("DETENTE_EMAIL_FROM", "Detente <updates@localhost>", "the sender"),
    Variable(
        "DETENTE_MAIL_RATE",
        "6000",
        "digest messages per minute, all workers together (0: no limit)",
    ),
    Variable("DETENTE_MAIL_CONNECTIONS", "8", "SMTP connections of the digest runner"),
    Variable(
        "DETENTE_MAIL_LEASE", "60", "seconds before a dead worker's outbox lease may be taken over"
    ),
    Variable("DETENTE_MAIL_SCHEDULE", "60", "seconds between the worker's looks for due digests"),
    Variable(
        "DETENTE_MAIL_UNSUBSCRIBE_MAILTO",
        "unsubscribe@<sender's domain>",
        "the List-Unsubscribe address",
    ),
    Variable("DETENTE_MAIL_ESP", "none", "the email provider whose webhooks are read"),
    Variable("DETENTE_MAIL_WEBHOOK_SECRET", "none", "the provider's webhook secret", secret=True),
    Variable("DETENTE_MAIL_TRACKING", "0", "1: let the provider track opens and clicks"),
    Variable("DETENTE_MAILCHIMP", "0", "1: keep a Mailchimp audience in step"),
    Variable("DETENTE_MAILCHIMP_API_KEY", "none", "Mailchimp's API key", secret=True),
    Variable("DETENTE_MAILCHIMP_AUDIENCE", "none", "the Mailchimp audience id"),
    Variable(
        "DETENTE_MAILCHIMP_INTEREST_CATEGORY",
        "none",
        "the Mailchimp interest category of the lists",
    ),
    Variable("DETENTE_MAILCHIMP_WEBHOOK_SECRET", "none", "Mailchimp's webhook secret", secret=True),
)

# Set by Detente itself for the processes it starts, never by an operator.
INTERNAL = frozenset({"DETENTE_STATIC_MANIFEST"})


def shown(variable: Variable, value: str) -> str:
    """A value as ``detente config`` prints it: a secret as "set (N characters)", a
    database address without its password."""
    if not variable.secret:
        return value
    if variable.name == "DATABASE_URL":
        parts = urlsplit(value)
        if parts.password:
            host = parts.hostname or ""
            netloc = f"{parts.username}:•••@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
        return value
    return f"set ({len(value)} characters, hidden)"


def rows(environ: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """(name, value as shown, "environment" or "default", meaning) for every setting."""
    environ = os.environ if environ is None else environ
    out = []
    for v in VARIABLES:
        if environ.get(v.name, "") != "":
            out.append((v.name, shown(v, environ[v.name]), "environment", v.meaning))
        else:
            out.append((v.name, v.default, "default", v.meaning))
    return out
