"""One settings module for every environment, read from the environment (django-environ).

Defaults are for a newcomer's laptop: SQLite and a broker that needs no server, both under
``var/``. Production sets ``DJANGO_SECRET_KEY``, ``DATABASE_URL``, ``CELERY_BROKER_URL`` and
``EMAIL_URL`` (see README "Production").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
env.smart_cast = False
# A local .env is a convenience for developers; production uses the real environment.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

TESTING = "pytest" in sys.modules or env.bool("DJANGO_TESTING", default=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Only ever used on a developer's machine or in tests.
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string, e.g. "
            "DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The product's name in pages and in every e-mail (allauth's included: accounts.adapters).
SITE_NAME = "HomeKnots"

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "csp",
]
LOCAL_APPS = [
    "core",
    "accounts",
    "therapists",
    "clients",
    "booking",
    "aftercare",
    "payments",
    "portal",
    "backoffice",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "payments.middleware.StripeContentSecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.no_store.NoStoreMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a booking transaction writes; IMMEDIATE makes every
    # transaction take SQLite's write lock at BEGIN, which is how booking_create serialises
    # on SQLite (docs/architecture.md, "No double booking").
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not shared-cache memory: concurrent bookings from several threads need
    # SQLite's real locking. One file per test process, so parallel runs don't collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# A connection kept for a minute by each worker thread: opening one per request (and, on
# SQLite, running the PRAGMAs above again) cost more than most pages' queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login throttling lives here) -------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis outage is a cache miss, not an error (core/cache.py); short timeouts, so a frozen
    # Redis costs a page at most a second.
    CACHES["default"]["BACKEND"] = "core.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 1, "socket_timeout": 1, "retry_on_timeout": False}
    )

# --- Accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Object permissions from predicates (django-rules): who may see a client's health data
    # is one rule, in booking.privacy, asked as user.has_perm("clients.view_health_record", c).
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG or TESTING else "mandatory"
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
# allauth's default prefix is "[<host>] ", e.g. "[127.0.0.1:8000]": name the product instead.
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{SITE_NAME}: "
# Tell people when their password, e-mail address or two-factor login changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth throttles failed logins per user and per IP through the cache; stated here so the
# policy is visible and reviewable.
# Two-factor authentication (allauth's MFA): an authenticator app's codes, and recovery codes.
# Staff must turn it on to see health data (booking.privacy).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "HomeKnots"
# Behind a proxy, how many of the X-Forwarded-For addresses our own proxies added: the client's
# address is the one before them. 0 (no proxy) ignores the header, which anyone can forge; the
# production layout in the README (one TLS-terminating proxy) is 1.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- I18N / time -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
USE_I18N = True
USE_TZ = True
# The zone pages are shown in when we know nothing better about the viewer. Change it with
# DJANGO_TIME_ZONE (any IANA name, e.g. Europe/London); therapists set their own zone.
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="America/New_York")
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HomeKnots <care@homeknots.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        # The same SMTP, marking a message sent as soon as it is on the wire (core/smtp.py).
        _email["EMAIL_BACKEND"] = "core.smtp.EmailBackend"
    vars().update(_email)
    # filemail://var/mail is relative to the project; filemail:////abs/path is absolute.
    EMAIL_FILE_PATH = BASE_DIR / EMAIL_FILE_PATH
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
elif TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    raise ImproperlyConfigured(
        "EMAIL_URL is not set. Set it to your SMTP server, e.g. "
        "EMAIL_URL=smtp+tls://user:password@smtp.example.com:587"
    )

# A mail server that stops answering fails the send after this many seconds (it is retried with
# a back-off); the dispatcher's claim lease below must stay well above it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="homeknots")
# How long a dispatcher's claim on outgoing rows holds without renewal (core.delivery): the
# rows of a worker that died are sent by another this long after its last renewal.
DELIVERY_CLAIM_LEASE_SECONDS = env.int("DELIVERY_CLAIM_LEASE_SECONDS", default=60)

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# A request that nudges a worker after commit must not wait for a broker that is down or not
# answering: one quick retry, short socket timeouts, then the nudge is dropped (the outbox row
# is sent by beat's dispatcher once the broker is back).
BROKER_FAIL_FAST = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "retry_on_timeout": False,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: messages are files under var/, so `make run` and
    # `make test` need no broker server.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Fanout exchanges (worker remote control) live here, not in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **BROKER_FAIL_FAST,
        # A task a worker took but never acknowledged (the worker died) is given to another
        # after this. Longer than the longest task (CELERY_TASK_TIME_LIMIT), short enough that
        # nothing waits long: the work itself is in rows, which are safe to run twice.
        "visibility_timeout": 300,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# A task is acknowledged only after it ran, and requeued if its worker dies mid-way; every task
# is written so that running it twice does no harm.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tests run tasks in-process unless a test starts a real worker (tests marked "redis").
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = TESTING
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The beat schedule lives in the database (django-celery-beat), written once by the migration
# core/0002_beat_schedule, so edits in admin ("Periodic tasks") survive a beat restart. A schedule
# here would be copied over the database's at every start: keep it empty.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# --- Product settings --------------------------------------------------------------------------
BOOKING_SLOT_STEP_MINUTES = env.int("BOOKING_SLOT_STEP_MINUTES", default=15)
BOOKING_HORIZON_WEEKS = env.int("BOOKING_HORIZON_WEEKS", default=8)
BOOKING_CANCEL_CUTOFF_HOURS = env.int("BOOKING_CANCEL_CUTOFF_HOURS", default=24)
CARE_LONG_GAP_WEEKS = env.int("CARE_LONG_GAP_WEEKS", default=6)
# How long a booking waits for another booking of the same therapist before it answers "busy,
# try again" (PostgreSQL's lock_timeout; SQLite waits up to its own busy timeout).
BOOKING_LOCK_TIMEOUT_MS = env.int("BOOKING_LOCK_TIMEOUT_MS", default=3000)

# --- Payments (Stripe; docs/payments.md) -------------------------------------------------------
# Off in tests unless a test turns it on (tests/payments start a real localstripe for those);
# on everywhere else. PAYMENTS_ENABLED=0 takes no payment: pages say "pay your therapist at the
# visit".
PAYMENTS_ENABLED = env.bool("PAYMENTS_ENABLED", default=not TESTING)
# The local fake Stripe that `make run` starts (localstripe, a dev dependency). Production sets
# the real keys and leaves STRIPE_API_BASE empty (Stripe's own API and Stripe.js).
LOCALSTRIPE_URL = env.str("LOCALSTRIPE_URL", default="http://127.0.0.1:8420").rstrip("/")
_local_stripe = DEBUG or TESTING
STRIPE_API_BASE = env.str(
    "STRIPE_API_BASE", default=LOCALSTRIPE_URL if _local_stripe else ""
).rstrip("/")
STRIPE_SECRET_KEY = env.str(
    "STRIPE_SECRET_KEY", default="sk_test_localstripe" if _local_stripe else ""
)
STRIPE_PUBLISHABLE_KEY = env.str(
    "STRIPE_PUBLISHABLE_KEY", default="pk_test_localstripe" if _local_stripe else ""
)
STRIPE_WEBHOOK_SECRET = env.str(
    "STRIPE_WEBHOOK_SECRET", default="whsec_localstripe" if _local_stripe else ""
)
if PAYMENTS_ENABLED and not (
    STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET
):
    raise ImproperlyConfigured(
        "Payments are on but STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY or STRIPE_WEBHOOK_SECRET "
        "is not set. Set all three from your Stripe dashboard (README, Production), or "
        "PAYMENTS_ENABLED=0 to take payment at the visit."
    )
# Stripe.js is served by localstripe (a fake card form) when the API is localstripe, and by
# Stripe itself otherwise; the CSP below allows exactly its origin.
STRIPE_JS_URL = env.str(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE}/js.stripe.com/v3/"
    if STRIPE_API_BASE
    else "https://js.stripe.com/v3/",
)
# Every call to Stripe gives up after this many seconds (connect and read): a Stripe outage
# costs a page a few seconds and a clear message, never a hang.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=5.0)
# Stripe remembers idempotency keys for a day per account: a prefix of this installation's own
# keeps two databases that share a Stripe test account from replaying each other's answers.
PAYMENTS_IDEMPOTENCY_PREFIX = env.str("PAYMENTS_IDEMPOTENCY_PREFIX", default="homeknots")
PAYMENTS_CURRENCY = env.str("PAYMENTS_CURRENCY", default="usd").lower()
# Site defaults; each therapist may set their own (payments.models.PaymentPolicy).
PAYMENTS_DEFAULT_MODE = env.str("PAYMENTS_DEFAULT_MODE", default="card")  # "card" or "deposit"
PAYMENTS_DEFAULT_DEPOSIT_PERCENT = env.int("PAYMENTS_DEFAULT_DEPOSIT_PERCENT", default=20)
PAYMENTS_DEFAULT_LATE_CANCEL_PERCENT = env.int("PAYMENTS_DEFAULT_LATE_CANCEL_PERCENT", default=50)
PAYMENTS_DEFAULT_NO_SHOW_PERCENT = env.int("PAYMENTS_DEFAULT_NO_SHOW_PERCENT", default=100)
# --- Security ----------------------------------------------------------------------------------
# The database sessions, read without building an ORM query per request (core/sessions.py).
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Security headers --------------------------------------------------------------------------
# Content-Security-Policy (django-csp 4.x): pages run and style only with this site's own files.
# No 'unsafe-inline' for scripts or styles: templates have no inline <script>, no on…= handlers,
# no style="" attributes and no <style> elements (tests/test_security_headers.py keeps it so;
# e-mail templates are exempt, they never reach a browser with this header).
# The one exception is the calendar page, for FullCalendar (therapists.views.FULLCALENDAR_CSP
# adds a per-request style nonce, handed over in <meta name="csp-nonce">, and data: fonts).
# htmx's indicator <style> is switched off (base.html's htmx-config); its rules are in site.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# With payments on, payments.middleware adds Stripe.js's origins (localstripe's in
# development) for script, frame and connect: nothing else from outside the site.
# Permissions-Policy (core.middleware): browser features the site never uses, off for every page
# and any frame. An empty list is "()", i.e. allowed nowhere.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Tokens in signed links and every query string are redacted before a line is written.
    "filters": {"redact": {"()": "core.redact.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # The stripe library logs every request at INFO; its warnings and ours are enough.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
