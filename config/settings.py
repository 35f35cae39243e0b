"""Settings for Backorder, read from the environment (names in ARCHITECTURE.md).

Every value has a working local default when DEBUG is on; with DEBUG off the app refuses to start
without SECRET_KEY and ENCRYPTION_KEYS.
"""

import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or env_bool("BACKORDER_TESTING", False)

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG or TESTING else None)
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")
if not DEBUG and not TESTING:
    missing = [name for name, value in (("SECRET_KEY", SECRET_KEY), ("ENCRYPTION_KEYS", ENCRYPTION_KEYS)) if not value]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DEBUG is off "
            "(set DEBUG=1 for local development; see README.md, 'Settings')."
        )

# Hosts: the public site lives on APP_BASE_URL's host; each store on <slug>.<APP_DOMAIN>.
APP_BASE_URL = (env_str("APP_BASE_URL") or "http://localhost:8000").rstrip("/")
_base = urlsplit(APP_BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname:
    raise ImproperlyConfigured(f"APP_BASE_URL must be an absolute http(s) URL, got {APP_BASE_URL!r}")
APP_SCHEME = _base.scheme
APP_PORT = _base.port
PUBLIC_HOST = _base.hostname
APP_DOMAIN = (env_str("APP_DOMAIN") or PUBLIC_HOST).lower()

ALLOWED_HOSTS = [PUBLIC_HOST, f".{APP_DOMAIN}", APP_DOMAIN]
if DEBUG or TESTING:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", ".localhost", "testserver"]

BIGCOMMERCE_CLIENT_ID = env_str("BIGCOMMERCE_CLIENT_ID", "backorder-local-client-id")
BIGCOMMERCE_CLIENT_SECRET = env_str(
    "BIGCOMMERCE_CLIENT_SECRET", "backorder-local-client-secret-for-the-sandbox-store-0123456789abcdef"
)
BIGCOMMERCE_API_URL = (env_str("BIGCOMMERCE_API_URL") or "https://api.bigcommerce.com").rstrip("/")
BIGCOMMERCE_LOGIN_URL = (env_str("BIGCOMMERCE_LOGIN_URL") or "https://login.bigcommerce.com").rstrip("/")
# "Try it with the sandbox store" (stores/bigcommerce/sandbox): on when DEBUG is on and the API is on loopback.
BIGCOMMERCE_SANDBOX = env_bool("BIGCOMMERCE_SANDBOX", DEBUG or TESTING)

# `stores` comes first so that its `migrate` (which also keeps the store template current) wins.
SHARED_APPS = [
    "stores",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # operator classes in indexes (the backorder list's prefix searches)
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
]
TENANT_APPS = [
    "backorder",
    "notifications",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "stores.Store"
TENANT_DOMAIN_MODEL = "stores.Domain"
PUBLIC_SCHEMA_NAME = "public"
ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
STOREFRONT_URLCONF = "config.urls_storefront"
STORE_ADMIN_URLCONF = "config.urls_store_admin"
TENANT_LIMIT_SET_CALLS = True
# New store schemas are cloned from this template, which `migrate` keeps current (stores/provisioning.py).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Seconds a web process trusts its own copy of a host -> store lookup before asking the shared cache.
TENANT_CACHE_LOCAL_TTL = env_int("TENANT_CACHE_LOCAL_TTL", 5)
TENANT_CACHE_SHARED_TTL = 300

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/backorder",
        conn_max_age=env_int("CONN_MAX_AGE", 300),
        conn_health_checks=True,
    )
}
# stores.database is django-tenants' backend, also safe behind a transaction-mode pooler (stores/database/base.py).
DATABASES["default"]["ENGINE"] = "stores.database"
DATABASE_POOL_MODE = (env_str("DATABASE_POOL_MODE") or "session").lower()
if DATABASE_POOL_MODE not in ("session", "transaction"):
    raise ImproperlyConfigured(f"DATABASE_POOL_MODE must be session or transaction, got {DATABASE_POOL_MODE!r}")
DATABASES["default"]["POOL_MODE"] = DATABASE_POOL_MODE
# A server-side cursor lives on one server connection; behind a transaction-mode pooler there is none to keep.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOL_MODE == "transaction"
if TESTING:  # the pool-mode tests' second connection to the test database, always in transaction mode
    DATABASES["pooled"] = {
        **DATABASES["default"], "POOL_MODE": "transaction", "DISABLE_SERVER_SIDE_CURSORS": True,
        "TEST": {"MIRROR": "default"},
    }  # fmt: skip
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "stores.middleware.StoreResolutionMiddleware",
    # Outside the session and CSRF middlewares, so that it sees (and partitions) the cookies they set.
    "stores.middleware.FramingPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "stores.middleware.StoreSessionBindingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

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
                "stores.context_processors.store",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

AUTH_USER_MODEL = "stores.User"
AUTHENTICATION_BACKENDS = ["stores.auth.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"

REDIS_URL = env_str("REDIS_URL")
# Warm storefront answers come from the cache (backorder/storefront_answers.py); only a cache every process
# shares keeps them correct across processes, hence on with Redis.
STOREFRONT_ANSWER_CACHE = env_bool("STOREFRONT_ANSWER_CACHE", bool(REDIS_URL))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "backorder"}}

# Sessions live in the public schema (shared apps); the cookie is host-only, so a session made on one
# store's host never reaches another store's host.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [APP_BASE_URL, f"{APP_SCHEME}://*.{APP_DOMAIN}" + (f":{APP_PORT}" if APP_PORT else "")]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP call may block; well under Q_CLUSTER's timeout, so a stuck server fails a send, not a worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Backorder <no-reply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
if EMAIL_HOST is None:
    EMAIL_HOST = "localhost"

# django-q2 with the ORM broker: durable, with delivery receipts. timeout < retry, always.
Q_CLUSTER = {
    "name": "backorder",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "ack_failures": True,
    "save_limit": 1000,
    "poll": 0.5,
    "catch_up": False,
    "label": "Task queue",
}
if TESTING:
    Q_CLUSTER["sync"] = True
# The health check reports the queue unhealthy when work has waited longer than this.
QUEUE_STALE_AFTER_SECONDS = env_int("QUEUE_STALE_AFTER_SECONDS", 300)
# Requests a shopper's self-service link may make per minute from one IP address (then 429).
SELF_SERVICE_REQUESTS_PER_MINUTE = env_int("SELF_SERVICE_REQUESTS_PER_MINUTE", 30)
# Actions a store's automation rules may take per day (its calendar day); further runs are skipped and logged.
AUTOMATION_DAILY_ACTIONS = env_int("AUTOMATION_DAILY_ACTIONS", 500)
# Outbound webhooks, Slack and Teams may target loopback and private networks only with DEBUG on, or this.
OUTBOUND_PRIVATE_TARGETS = env_bool("OUTBOUND_PRIVATE_TARGETS", DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "stores.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["stores.permissions.IsStoreMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "stores.api_schema.DocumentedErrorsAutoSchema",  # errors documented (fuzzing)
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "stores.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"storefront": env_str("STOREFRONT_RATE_LIMIT", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backorder API",
    "DESCRIPTION": "Backorder's merchant API (on store hosts) and public storefront API (on the public host).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The languages the shopper-facing texts come in, one enum whichever field lists them.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "backorder.models.storefront.SUPPORTED_LANGUAGES",
        "NotificationStatusEnum": "notifications.models.Notification.Status",  # not one more "status" collision
        "AutomationRunStatusEnum": "notifications.automations.models.AutomationRun.Status",
        "WebhookDeliveryStatusEnum": "notifications.webhooks.models.WebhookDelivery.Status",
        "MerchantTaskStatusEnum": "backorder.models.MerchantTask.Status",
        "EventTypeEnum": "notifications.automations.catalog.TRIGGER_NAMES",
    },
}

CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api/storefront|storefront)/.*$"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if not DEBUG and APP_SCHEME == "https":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The app runs inside the BigCommerce control panel's iFrame (a third-party context).
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant_context": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(schema_name)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["tenant_context"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_q": {"level": "WARNING" if TESTING else "INFO"},
    },
}

# Sign-up refuses these as store names (they are, or could be mistaken for, our own hosts).
RESERVED_STORE_SLUGS = {
    "www", "api", "app", "admin", "static", "media", "mail", "smtp", "ftp", "public", "template", "tenant",
    "backorder", "bigcommerce", "support", "help", "status", "docs", "blog", "signup", "login", "logout",
    "dashboard", "storefront", "sandbox", "test", "demo-admin", "root", "system",
}  # fmt: skip
