"""Django settings, all from environment variables (see docs/configuration.md).

MAILLAGE_ENV=production turns on every safety net and refuses unsafe values at start-up,
so a misconfigured server never comes up half-protected.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from maillage.env import envbool, envint, envlist, envrate, envsecret, envstr, envtiles

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent

MAILLAGE_ENV = envstr("MAILLAGE_ENV", "development")
if MAILLAGE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("MAILLAGE_ENV doit valoir development ou production")
PRODUCTION = MAILLAGE_ENV == "production"

DATA_DIR = Path(envstr("MAILLAGE_DATA_DIR", str(PROJECT_DIR / "var")))
DEMO_MODE = envbool("MAILLAGE_DEMO", False)
DEBUG = envbool("MAILLAGE_DEBUG", not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = envsecret("MAILLAGE_SECRET_KEY") or ("" if PRODUCTION else _DEV_SECRET)

ALLOWED_HOSTS = envlist(
    "MAILLAGE_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = envlist("MAILLAGE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: the API docs page loads Swagger UI from us
    "maillage.territory",
    "maillage.members",
    "maillage.trust",
    "maillage.web",
    "maillage.demo",
    "maillage.incidents",
    "maillage.duty",
    "maillage.broadcasts",
    "maillage.neighbours",
    "maillage.crisis",
    "maillage.privacy",
    "maillage.stream",
    "maillage.limits",
    "maillage.push",
]

MIDDLEWARE = [
    "maillage.shield.ApiShield",
    "maillage.web.security.ContentSecurityPolicy",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "maillage.members.session_cookie.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "maillage.incidents.middleware.SealedUploadLimit",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "maillage.members.middleware.ActiveAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "maillage.urls"
ASGI_APPLICATION = "maillage.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

# The demo gets its own file so it never mixes with a real commune's data.
_DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / ('demo.sqlite3' if DEMO_MODE else 'maillage.sqlite3')}"
_database_url = envstr("DATABASE_URL") or _DEFAULT_SQLITE
if _database_url == _DEFAULT_SQLITE:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests get a file of their own per process, never the shared in-memory database:
    # Django hands that one connection to the live server's threads, and two requests
    # writing at once then fail ("cannot open savepoint", "database table is locked").
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"maillage-test-{os.getpid()}.sqlite3")
    }
elif envint("MAILLAGE_DB_POOL", 1):
    # A connection per request, and per stream job, cost 2 to 5 ms each on the report
    # path; the pool hands them back (docs/decisions.md, "Database connections").
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": envint("MAILLAGE_DB_POOL_SIZE", 12),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.Person"
AUTHENTICATION_BACKENDS: list[str] = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("MAILLAGE_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
FRONTEND_DIST = PROJECT_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
MEDIA_ROOT = Path(envstr("MAILLAGE_MEDIA_ROOT", str(DATA_DIR / "media")))
# Never served by URL: sealed attachments leave only through the logged API endpoint.
MEDIA_URL = "/media-not-served/"

# Sealed uploads (docs/envelope.md): at most 4 attachments of 3 MiB plus the envelope
# JSON (≤ 64 KiB of sealed content, up to 500 recipients: a few hundred KB). A bigger
# request is refused before its body is read (maillage.incidents.middleware).
SEALED_UPLOAD_MAX_BYTES = 4 * 3 * 1024 * 1024 + 1024 * 1024
# Any other request body (JSON, the CSV import form): refused early above this size, by the
# ASGI wrapper before it is read (maillage.shield). Also Django's limit for form fields and
# JSON bodies, files excluded: ample for the envelope.
MAX_REQUEST_BYTES = envint("MAILLAGE_MAX_REQUEST_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# A sealed attachment stays in memory: no spooled copy in a temporary folder.
FILE_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024 + 64 * 1024

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "maillage_session"
SESSION_COOKIE_AGE = envint("MAILLAGE_SESSION_SECONDS", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "maillage_csrf"
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = envbool("MAILLAGE_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("MAILLAGE_SSL_REDIRECT", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = envint("MAILLAGE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A TLS-terminating proxy in front (nginx, Caddy, a load balancer) may take over the HTTPS
# redirect and HSTS: say so explicitly, or production refuses to start without them.
TLS_BY_PROXY = envbool("MAILLAGE_TLS_BY_PROXY", False)
if TLS_BY_PROXY:
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008"]
# Every response: no script, style or frame from anywhere but our own origin, never inline
# (maillage.web.security). Decrypted photos are shown from blob: URLs (which only our own
# scripts can mint, hence also readable by fetch), QR codes as data: images.
# The console's map: a tile server of the commune's choice (none: the sectors and shops on
# a plain background); its origin is the one image source added to the policy.
# The installable app: its manifest and its service worker come from our origin only, said
# outright rather than left to default-src (web/pwa.py).
MAP_TILE_URL, _MAP_TILE_SOURCE = envtiles("MAILLAGE_MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = envstr("MAILLAGE_MAP_TILE_ATTRIBUTION", "")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: blob:{' ' + _MAP_TILE_SOURCE if _MAP_TILE_SOURCE else ''}; "
    "font-src 'self'; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; manifest-src 'self'; worker-src 'self'"
)

# Tests only: a file holding the instant the server's timers take as "now" (stream.ticker).
TIMER_CLOCK_FILE = envstr("MAILLAGE_TIMER_CLOCK_FILE", "")

if PRODUCTION:
    problems = []
    if DEMO_MODE:
        problems.append(
            "MAILLAGE_DEMO est activé (le mode démo garde une clé racine sur le serveur)"
        )
    if DEBUG:
        problems.append("MAILLAGE_DEBUG est activé")
    if not SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append(
            "MAILLAGE_SECRET_KEY (ou MAILLAGE_SECRET_KEY_FILE) absente ou de moins de 50 caractères"
        )
    if "*" in ALLOWED_HOSTS:
        problems.append("MAILLAGE_ALLOWED_HOSTS contient « * » (nommez le domaine du service)")
    if not (SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE):
        problems.append("MAILLAGE_SECURE_COOKIES est désactivé (cookies envoyés hors HTTPS)")
    if not TLS_BY_PROXY:
        if not SECURE_SSL_REDIRECT:
            problems.append(
                "MAILLAGE_SSL_REDIRECT est désactivé (mettez MAILLAGE_TLS_BY_PROXY=true si "
                "votre proxy TLS redirige lui-même vers HTTPS)"
            )
        if SECURE_HSTS_SECONDS <= 0:
            problems.append(
                "MAILLAGE_HSTS_SECONDS vaut 0 (mettez MAILLAGE_TLS_BY_PROXY=true si votre "
                "proxy TLS envoie lui-même Strict-Transport-Security)"
            )
    if TIMER_CLOCK_FILE:
        problems.append("MAILLAGE_TIMER_CLOCK_FILE est défini (horloge des tests)")
    if problems:
        raise ImproperlyConfigured("Démarrage en production refusé : " + " ; ".join(problems) + ".")


# WebAuthn relying party: passkeys are bound to this domain. Browsers refuse IP addresses,
# which is why the demo is opened on http://localhost:8000.
WEBAUTHN_RP_ID = envstr("MAILLAGE_RP_ID", "localhost")
WEBAUTHN_RP_NAME = envstr("MAILLAGE_RP_NAME", "Maillage")
WEBAUTHN_ORIGINS = envlist(
    "MAILLAGE_ORIGINS",
    [] if PRODUCTION else ["http://localhost:8000", "http://127.0.0.1:8000"],
)
# Outside production, also accept http://localhost:<any port> (test live servers, Vite).
WEBAUTHN_ALLOW_LOCALHOST_ANY_PORT = envbool("MAILLAGE_WEBAUTHN_ANY_LOCALHOST_PORT", not PRODUCTION)

# Named rate limits, COUNT/SECONDS, counted in the database so every server process shares
# them (maillage.limits). Anonymous endpoints count per client address, invitations per
# coordinator. MAILLAGE_RATE_<NAME>, e.g. MAILLAGE_RATE_PASSKEY_VERIFY=20/300.
_RATE_DEFAULTS = {
    "passkey_options": "60/300",
    "passkey_verify": "30/300",
    "enrolment_open": "30/300",
    "enrolment_options": "30/300",
    "enrolment_complete": "10/300",
    "demo_login": "60/300",
    "invitation_create": "60/3600",
}
RATE_LIMITS = {
    name: envrate(f"MAILLAGE_RATE_{name.upper()}", default)
    for name, default in _RATE_DEFAULTS.items()
}

# The live stream (GET /api/v1/stream, docs/events.md "The feed"): a heartbeat comment
# every HEARTBEAT seconds; a Last-Event-ID more than REPLAY events behind the commune's
# head (or unknown) gets `resync`; each reader re-reads the log every POLL seconds even
# without a wake-up; DB_THREADS threads per process run the stream's queries; a client
# more than QUEUE events behind is cut (it resumes with its cursor).
STREAM_HEARTBEAT_SECONDS = float(envint("MAILLAGE_STREAM_HEARTBEAT_SECONDS", 15))
STREAM_REPLAY = envint("MAILLAGE_STREAM_REPLAY", 1000)
STREAM_POLL_SECONDS = float(envint("MAILLAGE_STREAM_POLL_SECONDS", 5))
STREAM_DB_THREADS = envint("MAILLAGE_STREAM_DB_THREADS", 4)
STREAM_QUEUE = envint("MAILLAGE_STREAM_QUEUE", 2000)
# How often an open stream re-reads its session (sign-out elsewhere, expiry).
STREAM_RECHECK_SECONDS = float(envint("MAILLAGE_STREAM_RECHECK_SECONDS", 300))
# Police presence on the stream (maillage.duty.presence): each police device's open stream
# touches its row every BEAT seconds; a row not touched for STALE seconds counts for nothing.
DUTY_PRESENCE_BEAT_SECONDS = float(envint("MAILLAGE_DUTY_PRESENCE_BEAT_SECONDS", 10))
DUTY_PRESENCE_STALE_SECONDS = float(envint("MAILLAGE_DUTY_PRESENCE_STALE_SECONDS", 30))
# How often each server process ends the neighbour alerts whose time is up (issue 9).
NEIGHBOUR_EXPIRY_TICK_SECONDS = float(envint("MAILLAGE_NEIGHBOUR_EXPIRY_TICK_SECONDS", 15))
# How often each server process escalates the incidents nobody took in time (issue 10):
# a delay of 60 s is met within 60 s + this.
ESCALATION_TICK_SECONDS = float(envint("MAILLAGE_ESCALATION_TICK_SECONDS", 5))

# Web Push (maillage.push, docs/decisions.md "Web Push"): how often each server process
# turns new events into pushes and sends those due; the `sub` claim push services may use
# to reach whoever runs this installation; the push services a subscription may point to
# (host names or `.suffix`es: a subscription is a URL our server will POST to, so only
# known push services, never an internal address); loopback endpoints are accepted outside
# production only (the tests' own RFC 8030 receiver).
PUSH_TICK_SECONDS = float(envint("MAILLAGE_PUSH_TICK_SECONDS", 1))
PUSH_CONTACT = envstr("MAILLAGE_PUSH_CONTACT", "mailto:contact@maillage.invalid")
PUSH_SERVICES = envlist(
    "MAILLAGE_PUSH_SERVICES",
    [
        "fcm.googleapis.com",
        ".push.services.mozilla.com",
        ".notify.windows.com",
        ".push.apple.com",
    ],
)
PUSH_ALLOW_LOOPBACK = envbool("MAILLAGE_PUSH_ALLOW_LOOPBACK", not PRODUCTION)
# A push is retried after 2, 4, 8… seconds (at most PUSH_BACKOFF_MAX), PUSH_MAX_ATTEMPTS
# times in all; what is still undelivered after PUSH_GIVE_UP_SECONDS is stale news.
PUSH_BACKOFF_BASE_SECONDS = float(envint("MAILLAGE_PUSH_BACKOFF_BASE_SECONDS", 2))
PUSH_BACKOFF_MAX_SECONDS = float(envint("MAILLAGE_PUSH_BACKOFF_MAX_SECONDS", 300))
PUSH_MAX_ATTEMPTS = envint("MAILLAGE_PUSH_MAX_ATTEMPTS", 8)
PUSH_TIMEOUT_SECONDS = float(envint("MAILLAGE_PUSH_TIMEOUT_SECONDS", 10))

INVITATION_TTL_SECONDS = envint("MAILLAGE_INVITATION_TTL_SECONDS", 72 * 3600)
PUBLIC_URL = envstr("MAILLAGE_PUBLIC_URL", "http://localhost:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("MAILLAGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
