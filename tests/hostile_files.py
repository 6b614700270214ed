"""Hostile registry files, and a run that feeds them to the bot in a process of its own.

    python -m tests.hostile_files DIR   # prints one JSON line per file: the reply, memory

Run by tests/test_registry_limits.py in a subprocess whose address space is capped
(RLIMIT_AS), so a file that would make the bot allocate gigabytes fails there with a
MemoryError instead of taking the machine down.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import resource
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HEADER = "тип;название;жителей\n"


def legit_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["тип", "название", "жителей"])
    for n in range(200):
        sheet.append(["ТОС", f"ТОС «Квартал {n}»", 100 + n])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite_sheet(content: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The same workbook with its first sheet's XML changed."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(item.filename, data)
    return out.getvalue()


def far_cell_xlsx(dimension: bool) -> bytes:
    """A few KB: a header and one cell at XFD1048576 (with or without a <dimension>)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["тип", "название"])
    sheet["XFD1048576"] = "x"
    out = io.BytesIO()
    book.save(out)
    if dimension:
        return out.getvalue()
    return _rewrite_sheet(out.getvalue(), lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))


def wide_xlsx() -> bytes:
    """A row 200 cells wide, its <dimension> removed (so only streaming can see it)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["тип", "название"])
    sheet.append(["ТОС", "ТОС «Север»", *range(200)])
    out = io.BytesIO()
    book.save(out)
    return _rewrite_sheet(out.getvalue(), lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))


def zip_bomb_xlsx() -> bytes:
    """A workbook whose sheet unpacks to 100 MB of blank space (a 100 KB file)."""
    content = legit_xlsx()
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(item.filename, "w") as part:
                    head, _sep, tail = data.partition(b"<sheetData>")
                    part.write(head + b"<sheetData>")
                    chunk = b" " * 1_000_000
                    for _ in range(100):
                        part.write(chunk)
                    part.write(tail)
            else:
                target.writestr(item.filename, data)
    return out.getvalue()


def many_parts_xlsx() -> bytes:
    content = legit_xlsx()
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        for n in range(5_000):
            target.writestr(f"xl/media/p{n}.bin", b"")
    return out.getvalue()


def garbage(size: int = 50_000) -> bytes:
    return random.Random(13).randbytes(size)


HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "far cell, declared": ("r.xlsx", lambda: far_cell_xlsx(dimension=True)),
    "far cell, undeclared": ("r.xlsx", lambda: far_cell_xlsx(dimension=False)),
    "wide row": ("r.xlsx", wide_xlsx),
    "zip bomb": ("r.xlsx", zip_bomb_xlsx),
    "many parts": ("r.xlsx", many_parts_xlsx),
    "garbage xlsx": ("r.xlsx", garbage),
    "garbage csv": ("r.csv", garbage),
    "huge csv field": ("r.csv", lambda: (HEADER + 'ТОС;"' + "x" * 200_000 + '";1\n').encode()),
    "many csv columns": ("r.csv", lambda: (HEADER + "ТОС;Север;1" + ";1" * 400_000).encode()),
    "many csv rows": ("r.csv", lambda: (HEADER + "ТОС;Север;1\n" * 9_000).encode()),
    "utf-16 csv": ("r.csv", lambda: (HEADER + "ТОС;Север;1\n").encode("utf-16")),
    "20 MB said to be 1 byte": ("lying.csv", lambda: b"x" * 20_000_000),
}


def _kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts again from now


async def _run(folder: Path) -> None:
    from tests.kit import Harness

    h = await Harness(folder, admin_ids=frozenset({1})).start()
    admin = await h.consented(h.user("Мария", user_id=1))

    async def send(name: str, content: bytes) -> str:
        await admin.send("/registry")
        await admin.press(next(b for b in admin.last.flat_buttons if b.startswith("📥")))
        # The size Telegram reports: one case lies, as a modified client could make it.
        replies = await admin.send_document(name, content, size=1 if "lying" in name else None)
        await admin.send("/cancel")
        return replies[0].text if replies else ""

    # Warm up: openpyxl imported, caches filled, the first import's costs paid.
    for _ in range(2):
        await send("r.xlsx", legit_xlsx())
        await send("r.csv", (HEADER + "ТОС;Север;1\n").encode())
    # From here on the bot may not need more memory than a few MB per file, nor crash.
    limit = _kb("VmSize") * 1024 + 300 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for case, (name, make) in HOSTILE.items():
        content = make()
        _reset_peak()
        before = _kb("VmRSS")
        try:
            reply = await send(name, content)
        except MemoryError:
            reply = "MemoryError"
        grown = _kb("VmHWM") - before
        print(json.dumps({"case": case, "reply": reply, "grown_kb": grown}), flush=True)
    await h.close()


if __name__ == "__main__":
    asyncio.run(_run(Path(sys.argv[1])))
