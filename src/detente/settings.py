"""Django settings for Detente.

Everything that differs between machines comes from the environment:

- ``DETENTE_DATA_DIR``: where the SQLite database, keys and uploads live. Unset, it is the
  source checkout's own ``var/`` (whichever folder ``detente`` is run from), or else a
  ``./var`` already holding Detente's data; failing both, nothing starts and ``detente``
  says to set it (``detente.cli.data_dir``).
- ``DATABASE_URL``: ``sqlite:///path`` or ``postgres://user@host:port/name``; default is the
  SQLite file in the data directory.
- ``DETENTE_SECRET_KEY``: overrides the key generated into the data directory.
- ``DETENTE_DEBUG``: "1" for development only.
- ``DETENTE_ALLOWED_HOSTS``: comma-separated host names.

Every other variable is listed once in ``detente.core.config`` (``detente config`` prints
them with the values in force) and in docs/operations.md, "Every setting".
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from detente.cli import NO_DATA_DIR, data_dir

BASE_DIR = Path(__file__).resolve().parent
_data_dir = data_dir()
if _data_dir is None:
    # `detente` says this itself before getting here; this is for other ways in (WSGI).
    raise ImproperlyConfigured(NO_DATA_DIR)
DATA_DIR = _data_dir


def _ensure_data_dir() -> None:
    for sub in ("", "keys", "uploads", "uploads/tmp", "static"):
        (DATA_DIR / sub).mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """Return the secret key, generating it once into the data directory.

    Kept out of the repository and out of the database, so a database dump alone does not
    give an attacker the key that signs sessions and tokens.
    """
    if key := os.environ.get("DETENTE_SECRET_KEY"):
        return key
    _ensure_data_dir()
    path = DATA_DIR / "keys" / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database_from_url(url: str) -> dict[str, Any]:
    """Translate a ``DATABASE_URL`` into a Django database setting."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:] if parts.path.startswith("//") else parts.path)
        if parts.netloc:
            name = unquote(parts.netloc + parts.path)
        return _sqlite(Path(name or DATA_DIR / "detente.sqlite3"))
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "detente",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


def _sqlite(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Kept between requests, as for PostgreSQL: a new SQLite connection runs its four
        # PRAGMAs and reads the whole schema again before its first query (~3 ms a visit).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue instead of failing half-way with "locked".
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        },
    }


DEBUG = os.environ.get("DETENTE_DEBUG") == "1"
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DETENTE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]

_ensure_data_dir()
DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'detente.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "detente.core",
    "detente.accounts",
    "detente.audit",
    "detente.keys",
    "detente.registry",
    "detente.evidence",
    "detente.agreements",
    "detente.access",
    "detente.web",
    "detente.api",
    "detente.matching",
    "detente.reconcile",
    "detente.mailing",
    "detente.staff",
    "detente.oversight",
    "detente.casework",
    "detente.backups",
]

MIDDLEWARE = [
    "detente.core.security.TrustedProxyMiddleware",
    "detente.core.security.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside WhiteNoise and the public pages' copies, so that what they answer carries
    # the same security headers as every page.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "detente.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip for anonymous answers, the public pages' kept copies included (inside WhiteNoise,
    # which sends its own compressed files); never for signed-in users (BREACH: see
    # detente.web.compression).
    "detente.web.compression.PublicGZipMiddleware",
    # A current copy of a public page for a visitor with no session (detente.web.pages).
    "detente.web.pages.PublicCopyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "detente.urls"
WSGI_APPLICATION = "detente.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Every authenticate() call, from any login form, needs the second factor and obeys the
# lockout (detente.accounts).
AUTHENTICATION_BACKENDS = ["detente.accounts.backends.SecondFactorBackend"]
LOGIN_URL = "staff:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# "17 Dec 2014" / "17 dic 2014" wherever a person reads a date (see detente/formats).
FORMAT_MODULE_PATH = ["detente.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "uploads"
# Uploaded lists (imports from the staff pages and the API): larger than 2.5 MB, Django
# spools them to a temporary file while the request lasts; keep that in the private data
# directory, not in the machine's shared /tmp. See docs/reconciliation.md.
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads" / "tmp")
# The country the registry is about (ISO 3166-1 alpha-2): its first-level divisions (ISO
# 3166-2, through pycountry) are the rows of the public statistics and what the matcher
# reads a province as.
DETENTE_COUNTRY = os.environ.get("DETENTE_COUNTRY", "CU").upper()
# Other countries whose divisions are rows of the public statistics (comma-separated
# alpha-2, e.g. "NI,VE"); people recorded elsewhere count as "other or not recorded".
DETENTE_STATISTICS_COUNTRIES = [
    c.strip().upper()
    for c in os.environ.get("DETENTE_STATISTICS_COUNTRIES", "").split(",")
    if c.strip()
]
# The public statistics' first year column; earlier arrests count as "before" it. Fixed by
# configuration so that no column appears or changes meaning because of who is counted.
DETENTE_STATISTICS_FIRST_YEAR = int(os.environ.get("DETENTE_STATISTICS_FIRST_YEAR", "2015"))
# Counts under this many people are withheld from the public statistics.
DETENTE_SUPPRESSION_THRESHOLD = int(os.environ.get("DETENTE_SUPPRESSION_THRESHOLD", "5"))
# The statistics' rows as a list of province names (comma-separated), instead of the
# countries' ISO 3166-2 divisions; and regions as JSON {"Region": ["CU-01", …]}.
DETENTE_PROVINCES = [
    p.strip() for p in os.environ.get("DETENTE_PROVINCES", "").split(",") if p.strip()
]
try:
    DETENTE_STATISTICS_REGIONS = json.loads(os.environ.get("DETENTE_STATISTICS_REGIONS") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(
        f'DETENTE_STATISTICS_REGIONS is not JSON ({exc}): give {{"Region": ["CU-01", "CU-03"], …}}'
    ) from None
if not isinstance(DETENTE_STATISTICS_REGIONS, dict):
    raise ImproperlyConfigured('DETENTE_STATISTICS_REGIONS must be a JSON object {"Region": […]}')
# Requests per calendar minute per API token; sign-in limits (docs/accounts.md).
DETENTE_API_RATE_PER_MINUTE = int(os.environ.get("DETENTE_API_RATE_PER_MINUTE", "120"))
DETENTE_LOGIN_MAX_FAILURES = int(os.environ.get("DETENTE_LOGIN_MAX_FAILURES", "5"))
DETENTE_LOGIN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("DETENTE_LOGIN_MAX_FAILURES_PER_ADDRESS", "50")
)
DETENTE_LOGIN_WINDOW_SECONDS = int(os.environ.get("DETENTE_LOGIN_WINDOW_SECONDS", "900"))
DETENTE_INVITATION_HOURS = int(os.environ.get("DETENTE_INVITATION_HOURS", "72"))
# The first line of every signed checkpoint: the ledger's name for its witnesses.
DETENTE_LEDGER_ORIGIN = os.environ.get("DETENTE_LEDGER_ORIGIN", "detente-ledger")
DETENTE_IMPORT_MAX_BYTES = int(os.environ.get("DETENTE_IMPORT_MAX_MB", "50")) * 1024 * 1024
# Evidence files on claims, notes and cases raised (docs/casework.md): the largest file
# accepted, and how far an office file (a zip container) may unpack.
DETENTE_ATTACHMENT_MAX_BYTES = int(os.environ.get("DETENTE_ATTACHMENT_MAX_MB", "25")) * 1024 * 1024
DETENTE_ATTACHMENT_MAX_UNPACKED_BYTES = (
    int(os.environ.get("DETENTE_ATTACHMENT_MAX_UNPACKED_MB", "100")) * 1024 * 1024
)
# An import prepared but not moved forward for this long is discarded with its file.
DETENTE_IMPORT_KEEP_HOURS = float(os.environ.get("DETENTE_IMPORT_KEEP_HOURS", "24"))
# Hashed, compressed file names once `detente serve` has collected the static files;
# plain names before that (tests, first runs), served from the app folders by whitenoise.
_MANIFEST = not DEBUG and (
    os.environ.get("DETENTE_STATIC_MANIFEST") == "1" or (STATIC_ROOT / "staticfiles.json").exists()
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and first runs need no collectstatic; whitenoise then serves from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600  # a working day; staff sign in again each morning
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Production: behind TLS (DETENTE_PRODUCTION=1). `detente check --deploy --fail-level
# WARNING` passes with these; the local demo (`make run`) serves plain http on loopback.
# Reverse proxies whose X-Forwarded-For is believed (see docs/accounts.md).
DETENTE_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("DETENTE_TRUSTED_PROXIES", "").split(",") if p.strip()
]
PRODUCTION = os.environ.get("DETENTE_PRODUCTION") == "1"
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DETENTE_DEBUG must be off in production")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if os.environ.get("DETENTE_BEHIND_PROXY") == "1":
        # Only when the proxy strips this header from clients and sets it itself.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Ledger checkpoints: the signing key and the witnesses (docs/operations.md) ---
# The key that signs checkpoints lives outside the data directory, so a copy of that
# directory (a backup, a stolen disk) does not carry it. Default: the operator's
# configuration folder. The public half is the same path ending in .pub.
_XDG_CONFIG = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
DETENTE_SIGNING_KEY_FILE = Path(
    os.environ.get("DETENTE_SIGNING_KEY_FILE") or _XDG_CONFIG / "detente" / "ledger-ed25519.pem"
)
# Witnesses that cosign each checkpoint: "<witness vkey> <URL>" entries separated by ";"
# or new lines (the vkey is what `detente witness init` prints on the witness's machine).
DETENTE_WITNESSES = [
    w.strip()
    for w in os.environ.get("DETENTE_WITNESSES", "").replace("\n", ";").split(";")
    if w.strip()
]
DETENTE_WITNESS_TIMEOUT = float(os.environ.get("DETENTE_WITNESS_TIMEOUT", "10"))
# Witness mode (`detente witness`, on another machine): its key and state.
_XDG_STATE = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
DETENTE_WITNESS_DIR = Path(
    os.environ.get("DETENTE_WITNESS_DIR") or _XDG_STATE / "detente" / "witness"
)

# --- Encryption at rest (detente.keys; docs/keys.md) ---
# The master key that wraps the data keys of notes and files: given in the environment
# (DETENTE_MASTER_KEY, as `detente keys init` writes it) or read from a file outside the
# data directory, by default beside the ledger's signing key. Outside production a
# missing file is made on first use; in production nothing starts without it.
DETENTE_MASTER_KEY = os.environ.get("DETENTE_MASTER_KEY", "").strip()
DETENTE_MASTER_KEY_FILE = Path(
    os.environ.get("DETENTE_MASTER_KEY_FILE") or _XDG_CONFIG / "detente" / "master-key"
).expanduser()

# --- Backups (detente.backups; docs/operations.md, "Backups") ---
# The folder `detente backup` writes to by default and the worker's scheduled backups go
# to (unset: no scheduled backups); the age recipients (public keys, "age1…", separated by
# commas, spaces or new lines) and/or a file of them, one a line; how often the worker
# backs up, and how many of the newest backups it keeps in that folder.
DETENTE_BACKUP_DIR = (
    Path(os.environ["DETENTE_BACKUP_DIR"]).expanduser()
    if os.environ.get("DETENTE_BACKUP_DIR", "").strip()
    else None
)
DETENTE_BACKUP_RECIPIENTS = (
    os.environ.get("DETENTE_BACKUP_RECIPIENTS", "").replace(",", " ").split()
)
DETENTE_BACKUP_RECIPIENTS_FILE = (
    Path(os.environ["DETENTE_BACKUP_RECIPIENTS_FILE"]).expanduser()
    if os.environ.get("DETENTE_BACKUP_RECIPIENTS_FILE", "").strip()
    else None
)
DETENTE_BACKUP_INTERVAL_HOURS = float(os.environ.get("DETENTE_BACKUP_INTERVAL_HOURS", "24"))
DETENTE_BACKUP_KEEP = int(os.environ.get("DETENTE_BACKUP_KEEP", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # An ordinary refusal (403) is one line in the log, not a traceback (core/log.py).
    "filters": {"one_line_client_errors": {"()": "detente.core.log.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["one_line_client_errors"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Casework reminders (detente.casework.reminders; docs/casework.md) ---
# Seconds between two looks by the worker for task reminders to email; 0: none.
CASEWORK_REMINDER_SECONDS = int(os.environ.get("DETENTE_REMINDER_SECONDS", "300"))

# --- Public pages (detente.web.pages; docs/operations.md, "Public pages") ---
# "background": the worker (`detente db_worker`) makes the anonymous pages' shared copies
# and no slow page is made while a visitor waits; "request": the visitor's request makes
# them (development and tests). `detente serve --worker` and production use background.
PUBLIC_PAGES = {
    "MODE": os.environ.get("DETENTE_PUBLIC_PAGES") or ("background" if PRODUCTION else "request"),
    # Seconds a copy is current with no change to the data ("as of", "today").
    "MAX_AGE": int(os.environ.get("DETENTE_PUBLIC_MAX_AGE", "600")),
    # Seconds after a change during which the copy made before it may still be served
    # while the worker makes the new one (what Cache-Control lets any cache keep).
    "GRACE": 60,
    # A page whose last making took this long is never made on the request path.
    "SLOW_SECONDS": 0.5,
    # Seconds after which a copy asked for and not made means the worker is down.
    "WORKER_LATE": 30,
    # Seconds between two looks by the worker for copies to make; 0: none.
    "REFRESH_SECONDS": float(os.environ.get("DETENTE_PUBLIC_REFRESH", "2")),
}
if PUBLIC_PAGES["MODE"] not in ("background", "request"):
    raise ImproperlyConfigured(
        f"DETENTE_PUBLIC_PAGES is {PUBLIC_PAGES['MODE']!r}: it must be background or request"
    )

# --- Updates by email (detente.mailing; every setting is explained in docs/mailing.md) ---
# Background tasks run by `detente db_worker` from the database; DETENTE_TASKS=immediate
# runs them inside the request instead (development without a worker).
INSTALLED_APPS += ["django_tasks", "django_tasks_db", "anymail"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("DETENTE_TASKS") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}
# Outgoing mail: an SMTP relay when DETENTE_EMAIL_HOST is set, otherwise printed to the
# console (development). DETENTE_EMAIL_BACKEND picks any Django backend, such as an
# Anymail ESP (e.g. anymail.backends.amazon_ses.EmailBackend).
EMAIL_HOST = os.environ.get("DETENTE_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("DETENTE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DETENTE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DETENTE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DETENTE_EMAIL_SECURITY") == "starttls"
EMAIL_USE_SSL = os.environ.get("DETENTE_EMAIL_SECURITY") == "ssl"
EMAIL_TIMEOUT = 30
EMAIL_BACKEND = os.environ.get("DETENTE_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DETENTE_EMAIL_FROM", "Detente <updates@localhost>")
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("DETENTE_MAIL_WEBHOOK_SECRET", "")}
MAILING = {
    # Links in emails point here (no trailing slash).
    "PUBLIC_URL": os.environ.get("DETENTE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # Digest messages per minute, over all workers (0: no limit).
    "SEND_RATE": int(os.environ.get("DETENTE_MAIL_RATE", "6000")),
    # Parallel SMTP connections of the one delivering worker.
    "CONNECTIONS": int(os.environ.get("DETENTE_MAIL_CONNECTIONS", "8")),
    # Seconds before a dead worker's outbox lease may be taken over.
    "LEASE_SECONDS": int(os.environ.get("DETENTE_MAIL_LEASE", "60")),
    # Seconds between two looks by the worker for digests that are due (no cron).
    "SCHEDULE_SECONDS": int(os.environ.get("DETENTE_MAIL_SCHEDULE", "60")),
    # The mailto: half of List-Unsubscribe (read by the ESP's inbound webhook).
    "UNSUBSCRIBE_MAILTO": os.environ.get("DETENTE_MAIL_UNSUBSCRIBE_MAILTO", ""),
    # The ESP whose Anymail webhooks are accepted (bounces, complaints, inbound mail);
    # none unless this and DETENTE_MAIL_WEBHOOK_SECRET are set.
    "ESP": os.environ.get("DETENTE_MAIL_ESP", ""),
    # Open and click tracking stay off unless an administrator turns them on.
    "TRACKING": os.environ.get("DETENTE_MAIL_TRACKING") == "1",
    "CONFIRM_MAX_AGE_DAYS": 7,
    "LINK_MAX_AGE_DAYS": 365,
    # Optional Mailchimp mirror, off by default.
    "MAILCHIMP_ENABLED": os.environ.get("DETENTE_MAILCHIMP") == "1",
    "MAILCHIMP_API_KEY": os.environ.get("DETENTE_MAILCHIMP_API_KEY", ""),
    "MAILCHIMP_AUDIENCE": os.environ.get("DETENTE_MAILCHIMP_AUDIENCE", ""),
    "MAILCHIMP_INTEREST_CATEGORY": os.environ.get("DETENTE_MAILCHIMP_INTEREST_CATEGORY", ""),
    "MAILCHIMP_WEBHOOK_SECRET": os.environ.get("DETENTE_MAILCHIMP_WEBHOOK_SECRET", ""),
}
