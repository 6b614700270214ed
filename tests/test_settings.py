"""Settings: good values parse; bad ones stop `python -m bot` with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.settings import RequestTerm, SettingsError, load_settings, parse_offsets

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token-for-the-fake-session-000"


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    clean.update(env)
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env there
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_exits_with_instructions(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode != 0
    assert "BOT_TOKEN is not set" in result.stderr
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ADMIN_IDS", "abc", "comma-separated Telegram user ids"),
        ("TIMEZONE", "Mars/Base", "IANA time zone"),
        ("COMPETITION_REMINDERS", "5x", "units s, m, h, d"),
        ("EVENT_REMINDERS", "0d", "units s, m, h, d"),
        ("DIGEST_TIME", "25:99", "HH:MM"),
        ("BROADCAST_RATE", "100", "at most 30"),
        ("MUNICIPALITY_POPULATION", "-5", "greater than 0"),
        ("DEFAULT_LOCALE", "de", "ru, en"),
        ("LOG_FORMAT", "xml", "text, json"),
        ("STAFF_SEES_PERSONAL_DATA", "maybe", "true or false"),
        ("BOT_API_BASE_URL", "not a url", "http(s) address"),
    ],
)
def test_bad_value_names_the_setting(tmp_path: Path, name: str, value: str, expected: str) -> None:
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, **{name: value})
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert name in line and expected in line
    assert "Traceback" not in line


def test_malformed_token_is_not_echoed(tmp_path: Path) -> None:
    result = run_bot(tmp_path, BOT_TOKEN="secret-but-wrong")
    assert result.returncode == 2
    assert "BOT_TOKEN is invalid" in result.stderr
    assert "secret-but-wrong" not in result.stderr


def test_defaults_and_parsing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.isupper() and key not in ("PATH", "HOME"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", " 12345, 67890 ")
    monkeypatch.setenv("STAFF_CHAT_ID", "")  # empty means unset, as in .env.example
    monkeypatch.setenv("EVENT_REMINDERS", "2h,1d")
    monkeypatch.setenv("TIMEZONE", "Europe/Moscow")
    settings = load_settings()
    assert settings.admin_ids == frozenset({12345, 67890})
    assert settings.staff_chat_id is None
    assert settings.event_reminders == (timedelta(days=1), timedelta(hours=2))
    assert settings.competition_reminders == tuple(timedelta(days=d) for d in (14, 7, 3, 1))
    assert settings.digest_time == time(9, 0)
    assert str(settings.timezone) == "Europe/Moscow"
    assert settings.default_locale == "ru"
    assert settings.broadcast_rate == 25
    assert settings.staff_sees_personal_data is True
    assert settings.bot_api_base_url == "https://api.telegram.org"
    assert settings.request_term("transport") == RequestTerm(5, working=True)
    assert settings.request_term("consultation") == RequestTerm(30)


def test_env_example_is_valid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.isupper() and key not in ("PATH", "HOME"):
            monkeypatch.delenv(key)
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text("utf-8")
    (tmp_path / ".env").write_text(example.replace("BOT_TOKEN=", f"BOT_TOKEN={TOKEN}", 1), "utf-8")
    settings = load_settings()
    assert settings.request_deadlines == {"transport": RequestTerm(5, working=True)}


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nMUNICIPALITY_NAME=Искитим\n", "utf-8")
    assert load_settings().municipality_name == "Искитим"


def test_offsets() -> None:
    assert parse_offsets("30s, 5m") == (timedelta(minutes=5), timedelta(seconds=30))
    for bad in ("", "5", "d", "-1d", "1w", "1.5h"):
        with pytest.raises(ValueError):
            parse_offsets(bad)


def test_several_bad_settings_are_all_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "abc")
    monkeypatch.setenv("TIMEZONE", "Mars/Base")
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    lines = str(error.value).splitlines()
    assert any(line.startswith("ADMIN_IDS") for line in lines)
    assert any(line.startswith("TIMEZONE") for line in lines)


def test_the_sandbox_is_its_own_sqlite_file_beside_a_production_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`python -m bot sandbox` where the server's .env names PostgreSQL and webhook mode:
    the sandbox still runs on its own file, by polling its local servers."""
    from bot.sandbox.demo import DemoPeople
    from bot.sandbox.max_server import MaxSandboxServer
    from bot.sandbox.run import sandbox_settings

    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.isupper() and key not in ("PATH", "HOME"):
            monkeypatch.delenv(key)
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nDATABASE_URL=postgresql://tosbot:pw@db:5432/tosbot\n"
        "WEBHOOK_URL=https://bot.example.org/telegram\nWEBHOOK_SECRET=s3cret\n",
        "utf-8",
    )
    assert load_settings().database_url is not None  # the production settings
    max_server = MaxSandboxServer("max-sandbox-token-0123456789")
    settings = sandbox_settings(None, tmp_path / "s.sqlite3", DemoPeople(), False, max_server)
    assert settings.database_url is None and settings.webhook_url is None
    assert settings.database_path == tmp_path / "s.sqlite3"
