"""With DEBUG off the app refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_django(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_and_encryption_keys_refuses_to_start():
    result = start_django(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY and ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr


def test_debug_off_with_both_secrets_starts():
    result = start_django(DEBUG="0", SECRET_KEY="x" * 50, ENCRYPTION_KEYS="k1")
    assert result.returncode == 0, result.stderr


def test_debug_on_starts_with_local_defaults():
    assert start_django(DEBUG="1").returncode == 0
