import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7Rk2-very-long-random-production-secret-9fQ3mZpLwT8vB1nC4dE6gH0jK5",
    "ALLOWED_HOSTS": "market.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV, SECRET_KEY="")
    result = manage("check", **env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_turns_on_https_hardening():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.ACCOUNT_EMAIL_VERIFICATION)"
    )
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "31536000", "mandatory"]


def test_production_trusts_one_proxy_and_bounds_every_wait_on_redis():
    code = (
        "from django.conf import settings as s;"
        "print(s.ALLAUTH_TRUSTED_PROXY_COUNT, s.FORWARDED_ALLOW_IPS, s.CACHES['default']['BACKEND'],"
        " s.CACHES['default']['OPTIONS'], s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_timeout'],"
        " s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_connect_timeout'])"
    )
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "1 ['127.0.0.1'] config.cache.RedisCache {'socket_connect_timeout': 0.5, 'socket_timeout': 0.5} 1.0 1.0"
    )
    env = dict(PRODUCTION_ENV, TRUSTED_PROXY_COUNT="2", FORWARDED_ALLOW_IPS="10.0.0.0/8,10.1.0.5")
    env.update(CACHE_SOCKET_TIMEOUT="0.25", BROKER_SOCKET_TIMEOUT="2", TRUSTED_CLIENT_IP_HEADER="X-Real-IP")
    code = (
        "from django.conf import settings as s;"
        "print(s.ALLAUTH_TRUSTED_PROXY_COUNT, s.FORWARDED_ALLOW_IPS, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER,"
        " s.CACHES['default']['OPTIONS']['socket_timeout'], s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_timeout'])"
    )
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 ['10.0.0.0/8', '10.1.0.5'] X-Real-IP 0.25 2.0"


def test_the_embedded_set_up_trusts_no_proxy():
    code = "from django.conf import settings as s; print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = manage("shell", "--no-imports", "-c", code, DJANGO_ENV="development")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
