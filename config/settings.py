"""Settings, all read from the environment in this one file.

Each value has a safe default for the embedded set-up (SQLite, a filesystem
Celery broker, console email), so ``make run`` needs nothing installed.
``DJANGO_ENV=production`` turns on the deployment hardening and refuses to
start without a real SECRET_KEY.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, production or test")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for production.")

DEBUG = env_bool("DEBUG", default=not PRODUCTION) and not PRODUCTION
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Tests that need PostgreSQL or Redis fail (never skip) when this is set.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "accounts",
    "marketplace",
    "orders",
    "milestones",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # staff without a second factor are sent to set one up before the staff pages and the admin
    "accounts.middleware.StaffSecondFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "config.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.site",
                "orders.context_processors.badges",
            ],
            # {% form_key %} in every form (accounts.once: a form that creates something does it once)
            "builtins": ["accounts.templatetags.once"],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web process and the Celery worker
    # share the embedded database without "database is locked" errors.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login rate limits live here) ----------------------------------
REDIS_URL = env_str("REDIS_URL")
# A Redis outage degrades, never breaks (README "Deploying and scaling out"): each cache call waits at most
# CACHE_SOCKET_TIMEOUT seconds to connect and to read, a failure is a miss (rate limits fail open), and
# after a failure a process leaves Redis alone for REDIS_RETRY_AFTER seconds (cache and broker alike).
CACHE_SOCKET_TIMEOUT = env_float("CACHE_SOCKET_TIMEOUT", 0.5)
REDIS_RETRY_AFTER = env_float("REDIS_RETRY_AFTER", 5.0)
REDIS_CACHE = {
    "BACKEND": "config.cache.RedisCache",
    "OPTIONS": {"socket_connect_timeout": CACHE_SOCKET_TIMEOUT, "socket_timeout": CACHE_SOCKET_TIMEOUT},
}
if REDIS_URL:
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory" if PRODUCTION else "optional")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_RATE_LIMITS = {
    # After 5 failed logins for one address within 5 minutes the form refuses
    # further tries for it; one IP gets 10 failures a minute over all addresses.
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/180s/key",
}
# The client's address behind load balancers (rate limits count per address). Only peers listed in
# FORWARDED_ALLOW_IPS (the load balancers; gunicorn reads the same variable for X-Forwarded-Proto) may
# name the client; allauth then takes the address TRUSTED_PROXY_COUNT places from the right of
# X-Forwarded-For (or from TRUSTED_CLIENT_IP_HEADER, e.g. X-Real-IP, if the proxy sets one).
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER") or None
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# --- Two-factor authentication (allauth.mfa; README "Two-factor authentication") ---------------------
# An authenticator app (TOTP) with recovery codes, and passkeys / security keys (WebAuthn) where the
# browser offers them: WebAuthn needs a secure context, so HTTPS, or http://localhost in development.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "") or env_str("SITE_NAME", "Milestone Market")
# Staff (is_staff, superusers, support) must have a second factor to open the Resolution Center and the
# admin (accounts.second_factor); everyone is asked for a code again before money moves.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", True)
# Sign-ups that never confirm their address are removed after this long.
ACCOUNT_UNVERIFIED_PURGE_AFTER = timedelta(days=env_int("ACCOUNT_UNVERIFIED_PURGE_DAYS", 7))

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Milestone Market <no-reply@milestone.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: files go through views that check access
# Uploads (gig images, avatars, message, delivery and dispute files): the local disk by default; with
# MEDIA_STORAGE=s3, an S3-compatible bucket that several nodes share (django-storages, boto3). The bucket stays
# private: every file is served by a view that checks who may see it (config.uploads.serve_private_file), which
# streams an image and sends a download to a short-lived presigned URL forcing "attachment" and the stored type.
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}")
MEDIA_S3_OPTIONS = {
    "bucket_name": env_str("S3_BUCKET", "marketplace-media"),
    "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # empty: AWS itself
    "region_name": env_str("S3_REGION", "us-east-1"),
    "access_key": env_str("S3_ACCESS_KEY_ID") or None,  # empty: boto3's own chain (instance role, env, files)
    "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
    "default_acl": None,  # the bucket's own policy: private
    "querystring_auth": True,  # any URL it makes is signed
    "querystring_expire": env_int("S3_URL_SECONDS", 60),
    "file_overwrite": False,  # a name already taken gets a suffix, as on disk
    "addressing_style": "path",
    "signature_version": "s3v4",
}
STORAGES = {
    "default": {"BACKEND": "config.storage.MediaStorage", "OPTIONS": MEDIA_S3_OPTIONS}
    if MEDIA_STORAGE == "s3"
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and DJANGO_ENV != "test"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest file a user may attach or deliver (bytes).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Files one message, delivery or dispute message may carry (config.uploads.check_attachments).
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 5)
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# With PAYMENTS_PROVIDER = Stripe, the checkout page alone also allows Stripe's script, frames and API (the
# origins of STRIPE_JS_URL and STRIPE_API_BASE, plus these, from Stripe's documented CSP): payments/views.py.
STRIPE_CSP_EXTRA = {
    "script-src": ["https://*.js.stripe.com"],
    "frame-src": ["https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": [],
    "img-src": ["https://*.stripe.com"],
    # Stripe's hosted onboarding (account links): the earnings page's "Set up payouts" form is answered with a
    # redirect there, and browsers apply form-action to a form's redirects too (that page only).
    "form-action": ["https://connect.stripe.com"],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Celery ---------------------------------------------------------------
# Fail fast when Redis is down or frozen: a web request waits at most BROKER_SOCKET_TIMEOUT seconds to
# connect and to read before its publish counts as failed (config.celery.enqueue: logged, and the
# periodic sweeps redo the work), and then REDIS_RETRY_AFTER seconds pass before this process tries again.
BROKER_SOCKET_TIMEOUT = env_float("BROKER_SOCKET_TIMEOUT", 1.0)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
}
CELERY_FS_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),  # broadcast/pidbox tables (default: the cwd)
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
    # kombu's Redis transport, except that an ack Redis did not answer still frees the worker's slot
    CELERY_BROKER_TRANSPORT = "config.celery_broker:Transport"
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Beat and the worker publish with retries; bounded, so a dead broker costs seconds, not minutes.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# One queue name per deployment (tests give a worker a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-unverified-signups": {
        "task": "accounts.tasks.purge_unverified_signups",
        "schedule": timedelta(hours=1),
    },
    "purge-form-submissions": {
        "task": "accounts.tasks.purge_form_submissions",
        "schedule": timedelta(hours=1),
    },
}

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# /healthz waits at most this long (seconds) on each of the broker and the cache.
HEALTHZ_TIMEOUT = env_float("HEALTHZ_TIMEOUT", 0.3)

SITE_NAME = env_str("SITE_NAME", "Milestone Market")
# Absolute address used in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Orders and milestones (defaults from shared/DOMAIN.md) ----------------
ORDERS_MAX_MILESTONES = env_int("ORDERS_MAX_MILESTONES", 6)
ORDERS_MIN_MILESTONE_CENTS = env_int("ORDERS_MIN_MILESTONE_CENTS", 500)
TIPS_MIN_CENTS = env_int("TIPS_MIN_CENTS", 100)  # the smallest tip, on every tip path (payments.services.tip_send)
ORDERS_MAX_MILESTONE_CENTS = env_int("ORDERS_MAX_MILESTONE_CENTS", 5_000_000)
# What people may enter for days and revisions (gigs, packages, offers, milestones, plan changes, custom-offer
# requests) and for gig prices: forms, services and model validators all read these, through config/limits.py.
MAX_DELIVERY_DAYS = env_int("MAX_DELIVERY_DAYS", 365)
MAX_REVISIONS = env_int("MAX_REVISIONS", 20)
MAX_EXTENSION_DAYS = env_int("MAX_EXTENSION_DAYS", 60)
GIG_MIN_PRICE_CENTS = env_int("GIG_MIN_PRICE_CENTS", 500)
GIG_MAX_PRICE_CENTS = env_int("GIG_MAX_PRICE_CENTS", 5_000_000)
OFFER_EXPIRY = timedelta(days=env_int("OFFER_EXPIRY_DAYS", 7))
MILESTONE_REVIEW_WINDOW = timedelta(days=env_int("MILESTONE_REVIEW_DAYS", 3))
MILESTONE_LATE_CANCEL_GRACE = timedelta(hours=env_int("MILESTONE_LATE_CANCEL_GRACE_HOURS", 24))
REVIEW_BLIND_WINDOW = timedelta(days=env_int("REVIEW_BLIND_DAYS", 14))
# A dispute's other side must answer within this window, then the case goes to support staff.
DISPUTE_ANSWER_WINDOW = timedelta(days=env_int("DISPUTE_ANSWER_DAYS", 4))

# --- Payments (defaults from shared/DOMAIN.md; rounding in payments/fees.py) --
PAYMENTS_BUYER_FEE_PERCENT = Decimal(env_str("PAYMENTS_BUYER_FEE_PERCENT", "5.5"))
PAYMENTS_SMALL_ORDER_FEE_CENTS = env_int("PAYMENTS_SMALL_ORDER_FEE_CENTS", 300)
PAYMENTS_SMALL_ORDER_THRESHOLD_CENTS = env_int("PAYMENTS_SMALL_ORDER_THRESHOLD_CENTS", 10_000)
PAYMENTS_SELLER_COMMISSION_PERCENT = Decimal(env_str("PAYMENTS_SELLER_COMMISSION_PERCENT", "20"))
PAYMENTS_CLEARANCE_DAYS = env_int("PAYMENTS_CLEARANCE_DAYS", 14)
PAYMENTS_CLEARANCE_DAYS_TOP_RATED = env_int("PAYMENTS_CLEARANCE_DAYS_TOP_RATED", 7)
PAYMENTS_MIN_PAYOUT_CENTS = env_int("PAYMENTS_MIN_PAYOUT_CENTS", 1_000)
PAYMENTS_MAX_CHECKOUT_CENTS = env_int("PAYMENTS_MAX_CHECKOUT_CENTS", 5_000_000)
# A card payment holds its checkout ("processing") while the provider is asked; a claim older than this
# (its request died) may be taken over by a card retry, and the recovery sweep asks the provider about it.
PAYMENTS_CHECKOUT_CLAIM = timedelta(seconds=env_int("PAYMENTS_CHECKOUT_CLAIM_SECONDS", 120))
# The payment provider class (see payments/providers/__init__.py); the sandbox needs no outside service.
PAYMENTS_PROVIDER = env_str("PAYMENTS_PROVIDER", "payments.providers.sandbox.SandboxProvider")
# Where refunds of escrow go (payments.services.refund_destination): "balance" (the buyer's balance on the
# platform, always) or "card" (what a card alone paid goes back to that card: a Stripe Refund).
PAYMENTS_REFUND_TO = env_str("PAYMENTS_REFUND_TO", "balance")
if PAYMENTS_REFUND_TO not in ("balance", "card"):
    raise ImproperlyConfigured("PAYMENTS_REFUND_TO must be 'balance' or 'card'.")
# Stripe Connect (PAYMENTS_PROVIDER=payments.providers.stripe.StripeProvider turns it on; unused otherwise).
# The keys come from the Stripe Dashboard (test keys start sk_test_ / pk_test_); the webhook signing secret
# (whsec_...) is the one of the endpoint POST /payments/stripe/webhook. Country and currency are the
# platform's; amounts are sent in the currency's smallest unit (cents). STRIPE_API_BASE is Stripe's API
# (tests point it at the fake in tests/fake_stripe/); STRIPE_JS_URL is where the checkout page loads
# Stripe.js from. A webhook whose signed timestamp is further than STRIPE_WEBHOOK_TOLERANCE seconds from now
# is refused (replay protection; Stripe's libraries default to 300).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_COUNTRY = env_str("STRIPE_COUNTRY", "US")
STRIPE_CURRENCY = env_str("STRIPE_CURRENCY", "usd").lower()
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)
CELERY_BEAT_SCHEDULE["payments-retry-payouts"] = {
    "task": "payments.tasks.retry_payouts",
    "schedule": timedelta(minutes=10),
}

# --- Timers (periodic sweeps; defaults from shared/DOMAIN.md "Time") -------
REVIEW_REMINDER_AFTER_DELIVERY = timedelta(hours=env_int("REVIEW_REMINDER_AFTER_DELIVERY_HOURS", 24))
REVIEW_REMINDER_BEFORE_AUTO_APPROVE = timedelta(hours=env_int("REVIEW_REMINDER_BEFORE_AUTO_APPROVE_HOURS", 24))
DUE_SOON_REMINDER_BEFORE = timedelta(hours=env_int("DUE_SOON_REMINDER_BEFORE_HOURS", 24))
FUNDING_REMINDER_AFTER = timedelta(days=env_int("FUNDING_REMINDER_AFTER_DAYS", 2))
# How far back a sweep looks for reminders it may have missed (a worker down for days).
TIMER_CATCH_UP = timedelta(days=env_int("TIMER_CATCH_UP_DAYS", 30))
TIMER_BATCH_SIZE = env_int("TIMER_BATCH_SIZE", 500)
# Pages that update themselves (orders/views_live.py): every open signed-in page polls this often (seconds),
# only while it is visible; 0 turns it off (pages then update on reload, as with JavaScript off).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 3)
# A message the receiver has not seen for this long is also emailed to them, once until they read it.
MESSAGES_EMAIL_AFTER = timedelta(minutes=env_int("MESSAGES_EMAIL_AFTER_MINUTES", 15))
TIMER_SWEEP_SECONDS = env_int("TIMER_SWEEP_SECONDS", 60)
# Each app's timer sweeps (config.sweeps; ``manage.py run_timers`` runs them all at once) run from the
# app's own beat entry every TIMER_SWEEP_SECONDS: auto-approval, reminders and deadlines (milestones),
# offer expiry, review publication and dispute deadlines (orders), clearance and card payments whose
# outcome is unknown (payments), notification emails a broker outage dropped (accounts).
for _app, _entry in (
    ("milestones", "timers-sweep"),
    ("orders", "orders-sweeps"),
    ("payments", "payments-sweeps"),
    ("accounts", "accounts-sweeps"),
):
    CELERY_BEAT_SCHEDULE[_entry] = {
        "task": f"{_app}.tasks.run_sweeps",
        "schedule": timedelta(seconds=TIMER_SWEEP_SECONDS),
    }
