"""One settings module, driven by environment variables with local defaults.

Production sets at least DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
REDIS_URL. Without DATABASE_URL / REDIS_URL the app uses its own PostgreSQL and
Redis under var/ (see practice/embedded.py).

This module only reads the environment: it starts no process and takes no lock.
The embedded servers are started by the entry points (manage.py, wsgi, asgi,
Celery's worker and beat, the pytest start-up) through embedded.ensure_started().
"""
import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from practice import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = embedded.var_dir()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name, default):
    """1/0, true/false, yes/no, on/off (any case); unset or empty means ``default``."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a boolean; use 1/0, true/false, yes/no or on/off."
    )


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "local-development-only-not-secret-5b1d7e0f3a9c4e2b8d6f1a0c7e9b3d5f"

# Fernet keys for secrets stored in the database (practice/crypto.py): comma-separated, the first
# encrypts, all decrypt. With DEBUG on, a development key is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY", [])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(f"field-encryption:{SECRET_KEY}".encode()).digest()).decode()]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        _valid = len(base64.urlsafe_b64decode(_key.encode())) == 32
    except ValueError:
        _valid = False
    if not _valid:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds a key that is not 32 url-safe base64-encoded bytes (a Fernet key).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSockets (ASGI)
    "practice.apps.PracticeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "recurrence",
    "channels",
    "practice.apps.PracticeConfig",
    "sessions_app",
    "billing",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CSP, Permissions-Policy, no-store for pages with client data (outside everything that may answer early).
    "practice.headers.SecurityHeadersMiddleware",
    "practice.input.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "practice.middleware.PracticeMiddleware",
]

ROOT_URLCONF = "practice.urls"
WSGI_APPLICATION = "practice.wsgi.application"
ASGI_APPLICATION = "practice.asgi.application"

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
                "practice.context_processors.practice",
            ],
        },
    },
]

# --- Database and Redis -----------------------------------------------------
# Without a URL, the embedded server's address, computed from VAR_DIR (not started here).
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {"default": embedded.postgres_settings(VAR_DIR)}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
# Persistent connections are checked before a request reuses them: after PostgreSQL dropped them
# (a restart, a failover, pg_terminate_backend) each worker reconnects instead of answering one 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("DATABASE_NAME"):  # e.g. a worker started by a test, on the test database
    DATABASES["default"]["NAME"] = os.environ["DATABASE_NAME"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url(VAR_DIR)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "practice"),
    }
}

# Celery reads the CELERY_* names (practice/celery.py).
_celery_redis = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", _celery_redis)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _celery_redis)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "extend-never-ending-series": {"task": "sessions_app.tasks.extend_never_ending_series", "schedule": 6 * 3600},
    "deliver-due-notifications": {"task": "notifications.tasks.dispatch_due", "schedule": 60},
    # Stripe events stored while the broker was down (or whose task was lost) are processed here.
    "redrive-stripe-events": {"task": "billing.tasks.redrive_stripe_events", "schedule": 60},
    # Payment at booking: expired holds free their slot, unconfirmed authorisations are released before they lapse.
    "expire-booking-holds": {"task": "billing.tasks.expire_booking_holds", "schedule": 60},
    # Portal requests nobody confirmed before they began are declined (the client is told).
    "decline-unanswered-requests": {"task": "sessions_app.tasks.decline_unanswered_requests", "schedule": 300},
    # Janus rooms of meetings past their session's end (+15 minutes) are destroyed.
    "destroy-overdue-janus-rooms": {"task": "sessions_app.tasks.destroy_overdue_janus_rooms", "schedule": 300},
}

# The meeting room's WebSockets (Django Channels): the same Redis (a unix:// URL for the embedded one),
# under the cache's prefix so two checkouts sharing a Redis do not mix their groups.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # channels_redis blocks on Redis for 5 s at a time (BZPOPMIN): the socket's read timeout must be
        # longer, or every idle meeting socket is dropped every few seconds.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                   "prefix": f"{os.environ.get('CACHE_KEY_PREFIX', 'practice')}:asgi"},
    }
}

# --- Meetings (secure video) --------------------------------------------------
# Media goes browser to browser (WebRTC, DTLS-SRTP), up to MEETING_MAX_P2P people in the call, or
# through Janus VideoRoom SFUs when JANUS_URLS lists their HTTP API endpoints (comma-separated).
# No third-party STUN by default: browsers on one network reach each other with host candidates;
# elsewhere set TURN_URLS and TURN_SECRET (coturn's use-auth-secret / static-auth-secret).
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = os.environ.get("TURN_SECRET", "")
STUN_URLS = env_list("STUN_URLS", [])
JANUS_URLS = env_list("JANUS_URLS", [])
# What browsers connect to, node by node in JANUS_URLS' order (e.g. https://janus1.example.com/janus
# in front of http://10.0.0.5:8088/janus); the same addresses when unset.
JANUS_PUBLIC_URLS = env_list("JANUS_PUBLIC_URLS", [])
JANUS_ADMIN_SECRET = os.environ.get("JANUS_ADMIN_SECRET", "")
JANUS_TIMEOUT = float(os.environ.get("JANUS_TIMEOUT", "5"))
MEETING_MAX_P2P = int(os.environ.get("MEETING_MAX_P2P", "4"))
# Every call through the TURN server (RTCPeerConnection iceTransportPolicy "relay"): nobody in a call
# learns another person's network address. Needs TURN_URLS and TURN_SECRET; ignored without them.
MEETING_RELAY_ONLY = env_bool("MEETING_RELAY_ONLY", False)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "practice.User"
AUTHENTICATION_BACKENDS = ["practice.auth.MemberBackend"]  # no log-in for someone whose memberships all ended
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60  # a reset link works for 2 hours (and once)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale and time --------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage is UTC; pages activate the viewer's zone
USE_I18N = True
USE_TZ = True
DEFAULT_USER_TIME_ZONE = "America/New_York"
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "US")

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Practice Scheduling <no-reply@localhost>")

# --- Stripe and Twilio ------------------------------------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # only for a loopback stub
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "")  # only for a loopback stub
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# A signed-in session ends 12 hours after it began, however busy (practice/middleware.py), and a
# team member's (admin, staff, practitioner) after 30 minutes without a request; clients have no idle limit.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_LIFETIME_HOURS", "12")) * 3600
SESSION_IDLE_TIMEOUT_MINUTES = int(os.environ.get("SESSION_IDLE_TIMEOUT_MINUTES", "30"))
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# How many proxies in front of the app append to X-Forwarded-For (the TLS proxy: 1). The client's
# address is then the Nth entry from the right (practice/throttle.py); 0 trusts no header.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}
