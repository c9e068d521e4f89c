"""Settings in layers: defaults, then the environment, then computed values.

Secrets come only from the environment. With SAMDRIFT_ENV=production the process refuses to start
without a SECRET_KEY, with DEBUG on, or without ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor as WhitenoiseCompressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("SAMDRIFT_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

# --- defaults, overridden by the environment -------------------------------------------------
DEBUG = env_bool("SAMDRIFT_DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
VAR_DIR = Path(os.environ.get("SAMDRIFT_VAR_DIR", BASE_DIR / "var"))

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'samdrift.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SAMDRIFT_TEST_SQLITE", "")}

REDIS_URL = os.environ.get("REDIS_URL", "")
# Keys for credentials stored encrypted (samdrift/core/secrets.py); the first encrypts. Unset: SECRET_KEY.
SAMDRIFT_CREDENTIAL_KEYS = env_list("SAMDRIFT_CREDENTIAL_KEYS")

# --- computed and checked --------------------------------------------------------------------
if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(f"SAMDRIFT_ENV=production needs {', '.join(missing)} set")
    if DEBUG:
        raise ImproperlyConfigured("SAMDRIFT_ENV=production refuses SAMDRIFT_DEBUG=1")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)  # ASVS 14.4.5
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # ASVS 3.4.4: the __Host- prefix binds the session cookie to this host, Secure and path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
elif not SECRET_KEY:
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 - never used in production (checked above)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_tasks_db",
    "samdrift.core",
    "samdrift.tenancy",
    "samdrift.assets",
    "samdrift.billing",
    "samdrift.servicedesk",
    "samdrift.ordering",
    "samdrift.records",
    "samdrift.circular",
    "samdrift.insight",
    "samdrift.identity",
    # django-allauth (issue 18; docs/identity.md): SSO through the owners' directories and MFA.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "samdrift.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "samdrift.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "samdrift.core.middleware.SwedishFirstLocaleMiddleware",
    "samdrift.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "samdrift.tenancy.sessions.AuthenticationMiddleware",
    "samdrift.core.security.SessionTimeoutMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "samdrift.identity.mfa.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "samdrift.urls"
WSGI_APPLICATION = "samdrift.wsgi.application"
AUTH_USER_MODEL = "tenancy.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "samdrift" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "samdrift.core.context_processors.navigation",
            ],
        },
    },
]

# Django's, with <select> written in Python (200+ options per list page; samdrift/core/renderers.py).
FORM_RENDERER = "samdrift.core.renderers.FormRenderer"

AUTHENTICATION_BACKENDS = [
    "samdrift.tenancy.login.LoginThrottleBackend",  # first: refuses while a failed-login limit holds
    "samdrift.tenancy.sessions.SessionUserBackend",  # Django's ModelBackend, with the user its session read
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# --- sign-in through the owners' directories and MFA (django-allauth; docs/identity.md) -------
# Local accounts sign in on Samdrift's own login page (samdrift/tenancy/login.py), which hands a
# right password to allauth's login stages so that a second factor is asked for; directory users
# sign in by OpenID Connect or SAML, configured per owner as data (samdrift/identity).
ACCOUNT_ADAPTER = "samdrift.identity.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "samdrift.identity.sso.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = False  # failed logins are throttled by samdrift/tenancy/login.py, audited
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # a POST (with CSRF) starts a directory sign-in
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # link by our own rules (identity/actions.py), never by e-mail alone
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("SAMDRIFT_SSO_TIMEOUT", "10"))
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("SAMDRIFT_MFA_ISSUER", "Samdrift")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION  # passkeys on http://127.0.0.1 under make run
# A second factor is required for administrators, finance and records officers. The demo
# exemption lets `make run`'s demo users and the browser tests sign in with a password only; it is
# off in production, which refuses to start with it on.
SAMDRIFT_MFA_DEMO_EXEMPT = env_bool("SAMDRIFT_MFA_DEMO_EXEMPT", default=not PRODUCTION)
if PRODUCTION and SAMDRIFT_MFA_DEMO_EXEMPT:
    raise ImproperlyConfigured("SAMDRIFT_ENV=production refuses SAMDRIFT_MFA_DEMO_EXEMPT=1")
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Swedish first, English too (DESIGN.md rule 7).
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "samdrift" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "samdrift" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# whitenoise compresses every static file with gzip and brotli at install (`collectstatic`). Source
# maps (.map, 7 of the 12 MB, from the API docs' bundles) are fetched only by a developer's browser
# tools: compressing them took 60 % of collectstatic's time (36 s → 15 s) and served nobody.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*WhitenoiseCompressor.SKIP_COMPRESS_EXTENSIONS, "map")

# Email: SMTP in production. In development nothing leaves the machine and nothing is printed:
# every message is kept in the outbox (the outbox page shows it) and the dummy backend "sends" it.
# Django 6.1's MAILERS replaces the EMAIL_* settings.
_email_backend = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.dummy.EmailBackend",
)
_email_options: dict[str, object] = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", default=False),
        # A mail server that accepts the connection and then says nothing must not hold the sender.
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "samdrift@localhost")
# The outbox (samdrift/core/outbox.py): attempts before a message waits for an administrator,
# and the first wait between attempts (it doubles each time, at most six hours).
SAMDRIFT_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("SAMDRIFT_OUTBOX_MAX_ATTEMPTS", "10"))
SAMDRIFT_OUTBOX_RETRY_SECONDS = int(os.environ.get("SAMDRIFT_OUTBOX_RETRY_SECONDS", "60"))

# Jobs: the database backend by default (works on SQLite and PostgreSQL).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "samdrift.core.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "samdrift.core.drf.exception_handler",
    # DRF's three parsers, refusing a NUL character anywhere in the request (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "samdrift.core.parsers.JSONParser",
        "samdrift.core.parsers.FormParser",
        "samdrift.core.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Samdrift API",
    "DESCRIPTION": "Operations platform for a shared municipal IT organisation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

DJANGO_TABLES2_TEMPLATE = "core/table.html"  # bootstrap5 markup, body rows written in Python (core/tables.py)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "samdrift.core.middleware.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each step and each page of every PDF at INFO: nine lines per invoice.
        "weasyprint": {"level": "WARNING"},
    },
}

# Every tabular file received (imports, price lists, confirmations, usage; samdrift/core/tabular.py)
# larger than this is refused before it is parsed.
SAMDRIFT_IMPORT_MAX_BYTES = int(os.environ.get("SAMDRIFT_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Imports of up to this many rows run their dry run and commit in the request; larger ones run as
# jobs with their progress shown (samdrift/core/importing.py).
SAMDRIFT_IMPORT_SYNC_ROWS = int(os.environ.get("SAMDRIFT_IMPORT_SYNC_ROWS", "2000"))
# A take-back partner's report of more rows than this is checked and applied by the worker while
# its page shows progress (samdrift/circular/report_check.py); a smaller one in the request.
SAMDRIFT_CIRCULAR_SYNC_ROWS = int(os.environ.get("SAMDRIFT_CIRCULAR_SYNC_ROWS", "300"))
# A list export (CSV/XLSX) of up to this many rows is written in the request; a larger one runs as
# a job with its progress shown, and the file is fetched from the job's page (samdrift/core/exports.py).
SAMDRIFT_EXPORT_MAX_ROWS = int(os.environ.get("SAMDRIFT_EXPORT_MAX_ROWS", "5000"))

# MAC address prefixes (e.g. "00:e0:4c" or a dock's full address) that inventory never matches a
# device on alone, in addition to the virtual-machine and dock ranges built in (assets/inventory.py).
SAMDRIFT_INVENTORY_UNTRUSTED_MAC_PREFIXES = env_list("SAMDRIFT_INVENTORY_UNTRUSTED_MAC_PREFIXES")
# Seconds an inventory agent is asked to wait (Retry-After of a 503) while the database is away.
SAMDRIFT_INVENTORY_RETRY_AFTER = int(os.environ.get("SAMDRIFT_INVENTORY_RETRY_AFTER", "300"))
# Long jobs and the processes that run them (samdrift/core/jobs.py, docs/operations.md).
# A running job renews its lease every third of this; the sweep fails a job whose lease ran out.
SAMDRIFT_JOB_LEASE_SECONDS = int(os.environ.get("SAMDRIFT_JOB_LEASE_SECONDS", "60"))
# How often the scheduler runs the sweep of expired jobs and orphaned task rows.
SAMDRIFT_SWEEP_SECONDS = int(os.environ.get("SAMDRIFT_SWEEP_SECONDS", "60"))
# Seconds between heartbeats of the worker and the scheduler; silent for longer than
# SAMDRIFT_SILENT_SECONDS means down (the health check answers 503, the sweep fails its tasks).
SAMDRIFT_HEARTBEAT_SECONDS = float(os.environ.get("SAMDRIFT_HEARTBEAT_SECONDS", "15"))
SAMDRIFT_SILENT_SECONDS = int(os.environ.get("SAMDRIFT_SILENT_SECONDS", "120"))
# --- settings the apps read (issue 12: declared here once, each with its environment variable) ---
# The address put in email links (ordering's mails); empty: http://localhost:8000.
SAMDRIFT_BASE_URL = os.environ.get("SAMDRIFT_BASE_URL", "")
# Email intake (docs/servicedesk.md): the largest attachment kept, the messages one sender may send
# in an hour before the intake stops answering (mail loops), the IMAP timeout in seconds, the
# domain of outgoing Message-IDs (empty: the sender address's), the reopen window in days and how
# many business minutes before the resolution due time agents are warned.
SERVICEDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("SERVICEDESK_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
SERVICEDESK_MAIL_SENDER_LIMIT = int(os.environ.get("SERVICEDESK_MAIL_SENDER_LIMIT", "20"))
SERVICEDESK_IMAP_TIMEOUT = int(os.environ.get("SERVICEDESK_IMAP_TIMEOUT", "30"))
SERVICEDESK_MAIL_DOMAIN = os.environ.get("SERVICEDESK_MAIL_DOMAIN", "")
SERVICEDESK_REOPEN_DAYS = int(os.environ.get("SERVICEDESK_REOPEN_DAYS", "14"))
SERVICEDESK_WARN_BUSINESS_MINUTES = int(os.environ.get("SERVICEDESK_WARN_BUSINESS_MINUTES", "60"))
# Inventory agents (docs/assets.md): the largest upload (compressed) and XML (unpacked), and how
# often agents are told to send a full inventory (PROLOG answer, hours).
SAMDRIFT_INVENTORY_MAX_BYTES = int(os.environ.get("SAMDRIFT_INVENTORY_MAX_BYTES", str(5 * 1024 * 1024)))
SAMDRIFT_INVENTORY_MAX_XML_BYTES = int(os.environ.get("SAMDRIFT_INVENTORY_MAX_XML_BYTES", str(50 * 1024 * 1024)))
SAMDRIFT_INVENTORY_PROLOG_FREQ_HOURS = int(os.environ.get("SAMDRIFT_INVENTORY_PROLOG_FREQ_HOURS", "24"))
# Devices not seen by an agent for this many days are listed as stale.
SAMDRIFT_STALE_DAYS = int(os.environ.get("SAMDRIFT_STALE_DAYS", "30"))
# --- sessions, headers and the content security policy (issue 18; docs/identity.md) -----------
# ASVS 3.3.2 (level 2): sign in again after 12 hours, or after 30 minutes without a request.
# The session, its user and the user's roles in one query per request (samdrift/tenancy/sessions.py).
SESSION_ENGINE = "samdrift.tenancy.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("SAMDRIFT_SESSION_MAX_SECONDS", str(12 * 3600)))
SAMDRIFT_SESSION_IDLE_SECONDS = int(os.environ.get("SAMDRIFT_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's own CSP (django.middleware.csp). Scripts only from this origin or with the request's
# nonce (inline scripts in templates carry it; htmx gives it to the scripts it swaps in); no eval,
# so htmx's hx-on is not used. Inline style attributes stay allowed (Bootstrap markup and Swagger
# UI set them); a style cannot run code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The API schema and its docs page answer only signed-in users unless this is on (default: on
# outside production, off in production).
SAMDRIFT_API_DOCS_PUBLIC = env_bool("SAMDRIFT_API_DOCS_PUBLIC", default=not PRODUCTION)

# Audit checkpoints (samdrift/core/checkpoint.py): the signing key lives here, never in the database.
# Unset, a key derived from SECRET_KEY is used; set its own key in production so that the two can
# be rotated apart.
SAMDRIFT_AUDIT_CHECKPOINT_KEY = os.environ.get("SAMDRIFT_AUDIT_CHECKPOINT_KEY", "")
SAMDRIFT_AUDIT_CHECKPOINT_DIR = Path(os.environ.get("SAMDRIFT_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))

# Throttling (issue 18; docs/identity.md). Counters live in Django's cache, which must be shared
# when several web processes run: Redis when REDIS_URL is set, else this process's memory.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
# Behind this many reverse proxies the client address is read from X-Forwarded-For.
SAMDRIFT_TRUSTED_PROXIES = int(os.environ.get("SAMDRIFT_TRUSTED_PROXIES", "0"))
SAMDRIFT_LOGIN_WINDOW_SECONDS = int(os.environ.get("SAMDRIFT_LOGIN_WINDOW_SECONDS", str(15 * 60)))
SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("SAMDRIFT_LOGIN_FAILURES_PER_ACCOUNT", "10"))
SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("SAMDRIFT_LOGIN_FAILURES_PER_ADDRESS", "100"))
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "samdrift.core.throttling.TokenRateThrottle",
    "samdrift.core.throttling.UserRateThrottle",
]
SAMDRIFT_API_THROTTLE_RATES = {
    "token": os.environ.get("SAMDRIFT_API_RATE_TOKEN", "1200/min"),
    "user": os.environ.get("SAMDRIFT_API_RATE_USER", "1200/min"),
    "anon": os.environ.get("SAMDRIFT_API_RATE_ANON", "60/min"),
}
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "samdrift.core.throttling.add_throttled_responses",
]
