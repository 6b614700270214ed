"""Each rule in one place, and the layers under the handlers as ARCHITECTURE.md draws them:
the domain's records import nothing above them, handlers never import storage, services
never aiogram nor storage beyond its database, and a service never writes a button's
callback data. These read the source, as tests/test_status_groups.py does."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from aiogram import Dispatcher

import handlers
from bot.middlewares.services import TRAVELLING
from bot.services.container import Services
from tests.kit import Harness

ROOT = Path(__file__).resolve().parents[1]


def _modules(folder: str) -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


def _imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def _strings(tree: ast.Module) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_domain_records_import_nothing_above_them() -> None:
    found = [
        f"{path}: {module}"
        for path, tree in _modules("bot/domain")
        for module in _imports(tree)
        if module.split(".")[0] in ("aiogram", "storage", "handlers")
        or (module.startswith("bot.") and not module.startswith("bot.domain"))
    ]
    assert found == []


def test_handlers_import_nothing_of_storage() -> None:
    found = [
        f"{path}: {module}"
        for path, tree in _modules("handlers")
        for module in _imports(tree)
        if module.split(".")[0] == "storage"
    ]
    assert found == []


def test_services_import_storage_only_for_the_database() -> None:
    found = [
        f"{path}: {module}"
        for path, tree in _modules("bot/services")
        for module in _imports(tree)
        if module.split(".")[0] in ("aiogram", "handlers")
        or (module.split(".")[0] == "storage" and module != "storage.db")
    ]
    assert found == []


def test_no_service_loads_aiogram() -> None:
    """Not even through a helper it imports: bot/i18n.py (aiogram's I18n, the catalogs)
    once brought aiogram along; typed-word matching lives in bot/vocabulary.py instead."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.domain, bot.services\n"
        "for package in (bot.domain, bot.services):\n"
        "    for info in pkgutil.iter_modules(package.__path__):\n"
        "        importlib.import_module(f'{package.__name__}.{info.name}')\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('aiogram', 'handlers') or m == 'bot.i18n'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_request_kinds_are_named_in_one_module() -> None:
    """The kinds and their terms live with the request rules; the REQUEST_DEADLINES setting
    is read against them, not against a list of its own."""
    from bot.reporting.labels import KIND_PHRASES
    from bot.services.request_kinds import KINDS

    # The report's phrase for each kind is its own text, keyed by the same kinds.
    phrases = "bot/reporting/labels.py"
    found = sorted(
        {
            path
            for folder in ("bot", "handlers", "storage")
            for path, tree in _modules(folder)
            for _line, text in _strings(tree)
            if text in ("consultation", "transport", "premises", "information") and path != phrases
        }
    )
    assert found == ["bot/services/request_kinds.py"]
    assert set(KIND_PHRASES) == set(KINDS)


def _event_fields(node: ast.AST) -> bool:
    """An event's (or a draft's) time or places, not a form's step of the same name."""
    return any(
        isinstance(part, ast.Attribute)
        and part.attr in {"starts_at", "ends_at", "capacity", "going", "waiting"}
        and "EventForm" not in ast.unparse(part)
        for part in ast.walk(node)
    )


def test_event_limits_and_times_are_the_event_services() -> None:
    """handlers/events.py asks bot.services.events: it names none of an event's limits and
    compares no event's times or places itself (whether an event has a limit at all, `is
    None`, is only how its card reads)."""
    tree = ast.parse((ROOT / "handlers" / "events.py").read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert names & {"TEXT_LIMITS", "MAX_CAPACITY", "check_text", "whole_number"} == set()
    assert "parse_when" not in names
    compared = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and not all(isinstance(op, ast.Is | ast.IsNot) for op in node.ops)
        and _event_fields(node)
    ]
    assert compared == []


def test_no_service_writes_callback_data() -> None:
    """A service says what a screen offers; only handlers/ turn that into buttons with
    their CallbackData classes (a service once wrote "r3:yes:{id}", a handler's prefix)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bot/services", "bot/domain")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "callback_data" in line
    ]
    assert found == []
    # Nor a handler's prefix by hand: "r3:…", "k1:…" and the like.
    prefixed = [
        f"{path}:{line}: {text}"
        for folder in ("bot/services", "bot/domain")
        for path, tree in _modules(folder)
        for line, text in _strings(tree)
        if PREFIX.match(text)
    ]
    assert prefixed == []


PREFIX = re.compile(r"^[a-z]\d:")


def test_the_app_names_no_service() -> None:
    """bot/app.py takes every service from bot.services.container (Services, built by
    build_services) instead of naming each in its fields, its wiring and the handlers'
    data, as it did three times."""
    from bot.services.container import Services

    kinds = [str(field.type) for field in fields(Services)]
    source = (ROOT / "bot" / "app.py").read_text(encoding="utf-8")
    assert [kind for kind in kinds if re.search(rf"\b{kind}\b", source)] == []
    names = [field.name for field in fields(Services)]
    assert [name for name in names if re.search(rf"\b{name}=", source)] == []


async def test_handlers_get_the_same_services_as_the_app(harness: Harness) -> None:
    """Every service reaches a handler (bot/middlewares/services.py); only the ones the
    update's middlewares and filters read travel with the update from the start."""
    services = harness.app.services
    given = harness.app.handler_services.services
    for name, service in services.by_name().items():
        assert given[name] is service is getattr(services, name)
    travelling = {name for name in harness.app.dp.workflow_data if name in given}
    assert travelling == set(TRAVELLING)
    for name in TRAVELLING:
        assert harness.app.dp.workflow_data[name] is given[name]
    assert given["settings"] is harness.app.settings
    assert "settings" not in harness.app.dp.workflow_data


def test_filters_ask_only_for_the_services_that_travel() -> None:
    """A filter runs before its handler matched, so before HandlerServices gives the
    handler every service: it may ask only for those that travel with the update."""
    names = {field.name for field in fields(Services)} | {"settings"}
    dp = Dispatcher()
    handlers.build_routers(dp)
    routers = [dp]
    asked: dict[str, set[str]] = {}
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for observer in router.observers.values():
            checks = list(observer._handler.filters or [])
            for handler in observer.handlers:
                checks += handler.filters or []
            for check in checks:
                wanted = set(check.params) & names
                if wanted:
                    asked.setdefault(type(check.callback).__name__, set()).update(wanted)
    assert asked  # the check sees filters that ask for services (StaffPlace, RepliesToRequest)
    for filter_name, wanted in asked.items():
        assert wanted <= set(TRAVELLING), filter_name


def test_the_privacy_setting_is_read_in_one_place() -> None:
    """STAFF_SEES_PERSONAL_DATA is read by bot/services/privacy.py (StaffPrivacy.of, called
    once, where the services are built); the services given the decision apply it, and
    handlers draw what they return (a person or «hidden»), never asking the setting."""
    read = sorted(
        path
        for folder in ("bot", "handlers", "storage")
        for path, tree in _modules(folder)
        if any(
            isinstance(node, ast.Attribute) and node.attr == "staff_sees_personal_data"
            for node in ast.walk(tree)
        )
    )
    assert read == ["bot/services/privacy.py"]
    built = sorted(
        path
        for folder in ("bot", "handlers")
        for path, tree in _modules(folder)
        if "StaffPrivacy.of(" in ast.unparse(tree)
    )
    assert built == ["bot/services/container.py"]
    asked = sorted(
        f"{path}: {name}"
        for path, tree in _modules("handlers")
        for node in ast.walk(tree)
        for name in ("StaffPrivacy", "shows_people", "privacy", "_privacy")
        if (isinstance(node, ast.Name) and node.id == name and name != "privacy")
        or (isinstance(node, ast.Attribute) and node.attr == name)
    )
    assert asked == []


def test_the_formatter_owns_the_layout() -> None:
    """No `fmt: skip` or `fmt: off` anywhere in the project's Python: ruff format lays out
    every line, tables included (the review counted 176 such markers)."""
    marker = re.compile(r"#\s*fmt:\s*(skip|off)\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bot", "handlers", "storage", "tests", "bench", "tools")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if marker.search(line)
    ]
    assert found == []
