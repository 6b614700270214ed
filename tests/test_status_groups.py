"""One data set, the same figures everywhere: /inbox, the digest, /report and the exports count
open, overdue and each initiative outcome with the status groups defined once."""

from __future__ import annotations

import ast
import csv
import io
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.reporting.labels import OUTCOME_COLUMNS
from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from bot.services.status_groups import OUTCOME_LABELS
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running


async def one_data_set(h: Harness, anna: Person) -> None:
    """Requests: one of each status, two answered, one in work long overdue; initiatives: one
    in each status (a duplicate merged into the accepted one)."""
    requests = h.app.services.requests

    async def request() -> int:
        draft = RequestDraft(kind="consultation", description="Нужна консультация по уставу ТОС.")
        return (await requests.submit(anna.id, draft)).request.id

    in_work, answered, answered_late, closed, declined = [await request() for _ in range(5)]
    await requests.take(ADMIN_ID, in_work)
    for case in (answered, answered_late, closed):
        await requests.answer(ADMIN_ID, case, "Образец устава во вложении.", None)
    await requests.close(ADMIN_ID, closed)
    await requests.reject(ADMIN_ID, declined, "Не по адресу.")

    initiatives = h.app.services.initiatives
    ids = []
    for n in range(7):
        draft = Draft(
            direction="sport",
            title=f"Турник во дворе {n}",
            description="Поставить турник у дома, пожалуйста.",
        )
        ids.append((await initiatives.submit(anna.id, draft)).initiative.id)
    _new, review, accepted, in_progress, done, rejected, merged = ids
    await initiatives.decide(ADMIN_ID, review, "review")
    for i in (accepted, in_progress, done):
        await initiatives.decide(ADMIN_ID, i, "accepted")
    await initiatives.decide(ADMIN_ID, in_progress, "in_progress")
    await initiatives.decide(ADMIN_ID, done, "done")
    await initiatives.decide(ADMIN_ID, rejected, "rejected", "Не в этом году.")
    await initiatives.merge(ADMIN_ID, merged, accepted)

    h.clock.advance(timedelta(days=31))  # every due date above has passed
    await request()  # new, due in 30 days


def _en(msgid: str) -> str:
    return msgid  # the English catalog says the msgids as they are


async def export_csv(person: Person, what: str) -> list[dict[str, str]]:
    await person.send("/export")
    await person.press(what)
    await person.press("This year")
    [sent] = await person.press("CSV")
    assert sent.file
    text = sent.file[1].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


async def test_inbox_digest_report_and_exports_agree(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
        anna = await h.consented(h.user("Анна"))
        await one_data_set(h, anna)

        # Open: received, in work and answered (4); overdue: only what still awaits an
        # answer past its due date (the one in work; answered ones are not overdue).
        [inbox] = await maria.send("/inbox")
        assert "<b>Open requests</b>: 4," in inbox.text
        assert inbox.text.count("overdue</b>") == 1

        digest, _prefs = await maria.send("/digest")
        assert "Requests — received: 1, in work: 1, answered: 2" in digest.text
        assert "Initiatives — new: 1, under review: 1, accepted: 1, in progress: 1" in digest.text
        assert "<b>⚠️ Overdue: 1</b>" in digest.text

        _summary, _docx, md = await maria.send("/report 2026")
        assert md.file
        table = md.file[1].decode().replace("**", "")
        assert "4 requests received in 2026 are not closed yet; 1 of them has been waiting" in table
        by_type = next(line for line in table.splitlines() if line.startswith("| Total | 6 |"))
        # received, answered on time, not closed, of them overdue, declined, closed
        assert by_type.split(" | ")[1:7] == ["6", "3", "4", "1", "1", "1"]
        header = next(line for line in table.splitlines() if line.startswith("| Direction |"))
        sport = next(line for line in table.splitlines() if line.startswith("| Healthy"))
        cells = dict(zip(header.split("|")[2:-1], sport.split("|")[2:-1], strict=True))
        columns = {_en(label): code for code, label in OUTCOME_COLUMNS.items()}
        counts = {
            _en(OUTCOME_LABELS[columns[k.strip()]]): int(v)
            for k, v in cells.items()
            if k.strip() in columns
        }
        assert counts == {
            "done": 1,
            "in progress": 1,
            "accepted, not started": 1,
            "rejected": 1,
            "merged into another": 1,
            "not yet decided": 2,
        }
        assert int(cells[" Submitted "]) == 7

        requests = await export_csv(maria, "Support requests")
        assert sum(r["Open"] == "yes" for r in requests) == 4
        assert sum(r["Overdue"] == "yes" for r in requests) == 1
        initiatives = await export_csv(maria, "Initiatives")
        outcomes = Counter(r["Outcome"] for r in initiatives)
        assert outcomes == counts


# -- each group spelled out once -------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
STATUS_WORDS = frozenset(
    {
        "new",
        "in_work",
        "answered",
        "closed",
        "declined",  # requests
        "review",
        "accepted",
        "rejected",
        "in_progress",
        "done",
        "merged",  # initiatives
        "going",
        "waiting",
        "cancelled",  # event sign-ups
        "pending",
        "sending",
        "sent",
        "failed",
        "skipped",
    }  # the outbox
)
GROUPS_MODULE = "bot/services/status_groups.py"
# The status machines: they may name statuses in their module-level constants (which status
# may follow which), never inside a function.
MACHINES = frozenset(
    {
        "bot/services/requests.py",
        "bot/services/initiatives.py",
        "bot/services/events.py",
        "bot/domain/outbox.py",
    }
)
SQL_IN_LIST = re.compile(r"status\s+(?:NOT\s+)?IN\s*\(\s*'", re.IGNORECASE)


def _spelled_groups(path: Path, relative: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    if relative in MACHINES:
        for statement in tree.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                allowed.update(id(node) for node in ast.walk(statement))
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(words) == len(node.elts) and set(words) <= STATUS_WORDS:
                found.append(f"{relative}:{node.lineno}: {tuple(words)}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_IN_LIST.search(node.value)
        ):
            found.append(f"{relative}:{node.lineno}: {node.value.strip()[:60]}")
    return found


def test_no_status_group_is_spelled_out_outside_its_one_place() -> None:
    """A group of statuses (open, awaiting, public, signed up, waiting to be sent) is named
    in bot/services/status_groups.py or in its status machine's constants, and every other
    module, SQL included, uses that name (storage takes the groups as parameters)."""
    found = []
    for folder in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            # The sandbox's demo walks requests through the machine, step by step.
            if relative not in (GROUPS_MODULE, "bot/sandbox/demo.py"):
                found += _spelled_groups(path, relative)
    assert found == []
