"""Settings for MAX (issue 16): the bot runs on each messenger it has a token for, one
database for both; `.env.example` lists every setting; a wrong MAX token or address stops
`python -m bot` with one line naming MAX's setting."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bot.sandbox.max_server import MaxSandboxServer
from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token-for-the-fake-session-000"
MAX_TOKEN = "max-test-token-0123456789"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env here
    for key in list(os.environ):
        if key.isupper() and key not in ("PATH", "HOME"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_a_max_token_alone_runs_the_bot_on_max(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MAX_BOT_TOKEN", MAX_TOKEN)
    settings = load_settings()
    assert settings.messengers == frozenset({"max"})
    assert settings.bot_token is None
    assert settings.max_api_base_url == "https://platform-api2.max.ru"


def test_both_tokens_run_both_unless_messengers_says_otherwise(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("BOT_TOKEN", TOKEN)
    clean_env.setenv("MAX_BOT_TOKEN", MAX_TOKEN)
    assert load_settings().messengers == frozenset({"telegram", "max"})
    clean_env.setenv("MESSENGERS", "telegram")
    assert load_settings().messengers == frozenset({"telegram"})
    clean_env.setenv("MESSENGERS", "both")
    assert load_settings().messengers == frozenset({"telegram", "max"})


def test_a_messenger_without_its_token_is_named(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BOT_TOKEN", TOKEN)
    clean_env.setenv("MESSENGERS", "telegram,max")
    with pytest.raises(SettingsError) as error:
        load_settings()
    [line] = str(error.value).splitlines()
    assert line.startswith("MAX_BOT_TOKEN is not set") and "business.max.ru" in line


def test_one_staff_chat_for_the_town_hall(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BOT_TOKEN", TOKEN)
    clean_env.setenv("MAX_BOT_TOKEN", MAX_TOKEN)
    clean_env.setenv("STAFF_CHAT_ID", "-1001")
    clean_env.setenv("MAX_STAFF_CHAT_ID", "-72000000001")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("MAX_STAFF_CHAT_ID is invalid")


def test_a_max_token_is_never_echoed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MAX_BOT_TOKEN", "short secret")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "MAX_BOT_TOKEN is invalid" in str(error.value)
    assert "short secret" not in str(error.value)


def _refused(clean_env: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    [line] = str(error.value).splitlines()
    return line


HOOK = {"WEBHOOK_URL": "https://bot.example.org/telegram", "WEBHOOK_SECRET": "s3cret_value"}
MAX_HOOK = {"MAX_WEBHOOK_URL": "https://bot.example.org/max", "MAX_WEBHOOK_SECRET": "max_s3cret"}


def test_telegrams_webhook_mode_and_maxs_together(clean_env: pytest.MonkeyPatch) -> None:
    """WEBHOOK_URL is for several replicas: it needs its secret and Telegram, and MAX, if it
    runs, by its webhook too (replicas cannot share long polling); on one port the two are
    served by one server, each on a path of its own."""
    assert _refused(clean_env, BOT_TOKEN=TOKEN, WEBHOOK_URL=HOOK["WEBHOOK_URL"]).startswith(
        "WEBHOOK_SECRET is not set"
    )
    clean_env.delenv("BOT_TOKEN")
    line = _refused(clean_env, MAX_BOT_TOKEN=MAX_TOKEN, **HOOK)
    assert line.startswith("WEBHOOK_URL is invalid") and "with Telegram among MESSENGERS" in line
    line = _refused(clean_env, BOT_TOKEN=TOKEN)
    assert line.startswith("MAX_WEBHOOK_URL is not set") and "replicas cannot share" in line

    for name, value in MAX_HOOK.items():
        clean_env.setenv(name, value)
    settings = load_settings()
    assert settings.max_webhook_shared  # both on 8080 by default: one server
    assert (settings.webhook_path, settings.webhook_listen) == ("/telegram", ("0.0.0.0", 8080))
    clean_env.setenv("MAX_WEBHOOK_LISTEN", "0.0.0.0:8081")
    assert not load_settings().max_webhook_shared
    clean_env.setenv("MAX_WEBHOOK_URL", "https://bot.example.org/telegram")
    assert load_settings().max_webhook_url == "https://bot.example.org/telegram"  # two ports
    clean_env.setenv("MAX_WEBHOOK_LISTEN", "127.0.0.1:8080")
    line = _refused(clean_env)
    assert line.startswith("MAX_WEBHOOK_URL is invalid") and "a path other than" in line
    assert "s3cret" not in line


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text("utf-8")
    missing = [
        name.upper()
        for name in Settings.model_fields
        if not re.search(rf"^(# )?{name.upper()}=", example, re.MULTILINE)
    ]
    assert missing == []


async def _run_bot(tmp_path: Path, **env: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_a_wrong_max_token_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    server = await MaxSandboxServer(MAX_TOKEN).start()
    try:
        code, err = await _run_bot(
            tmp_path, MAX_BOT_TOKEN="another-token-0123456789", MAX_API_BASE_URL=server.base_url
        )
    finally:
        await server.stop()
    assert code == 2, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "tos-bot cannot start: MAX rejected MAX_BOT_TOKEN (Unauthorized). Check the token on "
        "https://business.max.ru (Chat bots, the bot, Settings)."
    )


async def test_an_unreachable_max_api_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    code, err = await _run_bot(
        tmp_path, MAX_BOT_TOKEN=MAX_TOKEN, MAX_API_BASE_URL="http://127.0.0.1:9"
    )
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert line.startswith("tos-bot cannot start: cannot reach MAX's Bot API at http://127.0.0.1:9")
