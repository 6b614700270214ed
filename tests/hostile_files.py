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


def _with_part(content: bytes, name: str, xml: bytes, content_type: str, rel_type: str) -> bytes:
    """The same workbook with one more part, declared in the manifest and linked from the
    workbook, as Excel would."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{name}" ContentType="{content_type}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            if item.filename == "xl/_rels/workbook.xml.rels":
                relation = f'<Relationship Id="rX" Type="{rel_type}" Target="{name[3:]}"/>'
                data = data.replace(b"</Relationships>", relation.encode() + b"</Relationships>")
            target.writestr(item.filename, data)
        target.writestr(name, xml)
    return out.getvalue()


def shared_strings_xlsx(count: int = 650_000) -> bytes:
    """A legit sheet and a shared-string table of `count` two-digit texts: 940 KB packed,
    11.7 MB unpacked, a ratio of 12 (openpyxl reads the whole table when it opens the file:
    6-10 s and 40-66 MB)."""
    rnd = random.Random(1)
    body = "".join(f"<si><t>{rnd.randrange(100):02d}</t></si>" for _ in range(count))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return _with_part(
        legit_xlsx(),
        "xl/sharedStrings.xml",
        f'<sst xmlns="{main}">{body}</sst>'.encode(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
    )


def many_styles_xlsx(count: int = 15_000) -> bytes:
    """A 12 KB file whose styles hold `count` cell formats, under a megabyte unpacked (so
    however tightly packed): openpyxl makes objects of each when it opens the file, half a
    second and 24 MB."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    source, out = zipfile.ZipFile(io.BytesIO(legit_xlsx())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                data = re.sub(
                    rb'<cellXfs count="\d+">',
                    b'<cellXfs count="%d">' % (count + 1) + xf * count,
                    data,
                )
            target.writestr(item.filename, data)
    return out.getvalue()


def long_row_xlsx(cells: int = 100_000) -> bytes:
    """A 400 KB sheet with a row of `cells` numbers and no <dimension> (openpyxl holds a
    row's cells at once: 64 MB)."""
    rnd = random.Random(2)
    row = b"".join(b"<c><v>%d</v></c>" % rnd.randrange(10**6) for _ in range(cells))

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension[^>]*/>", b"", xml)
        return xml.replace(b"</sheetData>", b'<row r="300">' + row + b"</row></sheetData>")

    return _rewrite_sheet(legit_xlsx(), change)


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
    "shared strings": ("r.xlsx", shared_strings_xlsx),
    "many styles": ("r.xlsx", many_styles_xlsx),
    "long row": ("r.xlsx", long_row_xlsx),
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
