"""Production settings refuse unsafe values and pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAFE_ENV = {
    "MAILLAGE_ENV": "production",
    "MAILLAGE_SECRET_KEY": "p" * 10 + "Z9x#Lq2!vR7mK4wT8nB3cF6hJ1dS5gA0eY-uI_oP+zX",
    "MAILLAGE_ALLOWED_HOSTS": "alertes.example.fr",
    "MAILLAGE_ORIGINS": "https://alertes.example.fr",
    "MAILLAGE_RP_ID": "alertes.example.fr",
    "MAILLAGE_PUBLIC_URL": "https://alertes.example.fr",
}


def run_check(
    tmp_path: Path, extra: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAILLAGE_") and key != "DATABASE_URL"
    }
    env.update({"MAILLAGE_DATA_DIR": str(tmp_path), **SAFE_ENV, **extra})
    return subprocess.run(
        [sys.executable, "-m", "maillage.cli", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_passes_deploy_checks_with_safe_settings(tmp_path: Path) -> None:
    result = run_check(tmp_path, {}, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"MAILLAGE_DEMO": "true"}, "MAILLAGE_DEMO"),
        ({"MAILLAGE_DEBUG": "true"}, "MAILLAGE_DEBUG"),
        ({"MAILLAGE_TIMER_CLOCK_FILE": "horloge-des-tests"}, "MAILLAGE_TIMER_CLOCK_FILE"),
        ({"MAILLAGE_SECRET_KEY": ""}, "MAILLAGE_SECRET_KEY"),
        ({"MAILLAGE_SECRET_KEY": "short"}, "MAILLAGE_SECRET_KEY"),
        ({"MAILLAGE_ALLOWED_HOSTS": "*"}, "MAILLAGE_ALLOWED_HOSTS"),
        ({"MAILLAGE_ALLOWED_HOSTS": "alertes.example.fr,*"}, "MAILLAGE_ALLOWED_HOSTS"),
        ({"MAILLAGE_SECURE_COOKIES": "false"}, "MAILLAGE_SECURE_COOKIES"),
        ({"MAILLAGE_SECURE_COOKIES": "false", "MAILLAGE_TLS_BY_PROXY": "true"}, "COOKIES"),
        ({"MAILLAGE_SSL_REDIRECT": "false"}, "MAILLAGE_SSL_REDIRECT"),
        ({"MAILLAGE_HSTS_SECONDS": "0"}, "MAILLAGE_HSTS_SECONDS"),
    ],
)
def test_it_refuses_to_start_with_unsafe_settings(
    tmp_path: Path, extra: dict[str, str], reason: str
) -> None:
    result = run_check(tmp_path, extra)
    assert result.returncode != 0
    assert "Démarrage en production refusé" in result.stderr
    assert reason in result.stderr


def test_it_reads_the_secret_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SAFE_ENV["MAILLAGE_SECRET_KEY"] + "\n", encoding="utf-8")
    result = run_check(
        tmp_path,
        {"MAILLAGE_SECRET_KEY": "", "MAILLAGE_SECRET_KEY_FILE": str(secret_file)},
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_declared_tls_proxy_takes_over_redirect_and_hsts(tmp_path: Path) -> None:
    result = run_check(
        tmp_path,
        {
            "MAILLAGE_TLS_BY_PROXY": "true",
            "MAILLAGE_SSL_REDIRECT": "false",
            "MAILLAGE_HSTS_SECONDS": "0",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
