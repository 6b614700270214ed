"""Open data: `python -m bot export --what open-data` writes the public initiatives, the TOS
registry and the year's figures as CSV and GeoJSON that validate against their schemas
(tests/schemas/), and nothing personal in any file, whatever the privacy setting and
whatever a person chose to show: a town full of names, phones, e-mail and home addresses is
seeded, and every file is searched for each of them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from bot.__main__ import main
from bot.services.initiatives import Draft
from bot.services.moderation import ModerationDraft
from bot.services.requests import RequestDraft
from bot.tables import FORMULA_STARTS
from tests.conftest import ADMIN_ID
from tests.databases import database_env
from tests.kit import Harness, running

SCHEMAS = Path(__file__).parent / "schemas"
COLUMNS = json.loads((SCHEMAS / "csv_columns.json").read_text())
AUTHOR_ID = 7_350_012_345  # ids no count in the files comes near
NEIGHBOUR_ID = 7_350_067_891
# What must never leave the server in open data: every spelling a file could carry.
PERSONAL = [
    "Аграфена",
    "Черноморцев",
    "agrafena",
    "secret_handle",
    str(AUTHOR_ID),
    str(NEIGHBOUR_ID),
    "Пантелеймон",
    "Гадюкин",
    "9131234567",
    "913 123-45-67",
    "123-45-67",
    "9137654321",
    "765-43-21",
    "@example.ru",
    "chernomor",
    "кв. 12",
    "Садовая, 15",
    "звоните",
    "Председатель Черноморцева",
    "мой сосед",
]
HIDDEN = [
    "Тайное предложение",
    "Ещё не рассмотрено",
    "ТОС «Распущенный»",
    "Скрыто модерацией",
]


async def town(h: Harness) -> None:
    """Public initiatives (one with a place, one without, one in a TOS, one a formula),
    others not public; TOS with their staff contacts and descriptions full of personal data;
    a request with a phone; people named everywhere."""
    now = h.clock.now()
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    author = await h.consented(
        h.user(
            "Аграфена",
            user_id=AUTHOR_ID,
            last_name="Черноморцева",
            username="agrafena_secret_handle",
        )
    )
    neighbour = await h.consented(
        h.user("Пантелеймон", user_id=NEIGHBOUR_ID, last_name="Гадюкин", username="secret_handle")
    )
    async with h.app.db.transaction() as uow:
        forest = await uow.registry.add_tos(
            {
                "name": "ТОС «Лесной»",
                "territory": ("ул. Лесная, 1–15", "пер. Сосновый"),
                "residents": 240,
                "contacts": "Председатель Черноморцева А. П., +7 913 123-45-67, "
                "chernomor@example.ru",
                "public_contact": "Приёмная ТОС по вторникам 18:00–20:00",
                "description": "Председатель Черноморцева, звоните 8 913 765-43-21",
                "latitude": 54.6401,
                "longitude": 83.3062,
                "radius_m": 400,
            },
            "tok-forest",
            now,
        )
        await uow.registry.add_tos(
            {
                "name": "ТОС «Речной»",
                "territory": ("ул. Береговая",),
                "residents": 120,
                "contacts": "agrafena@example.ru",
                "polygon": ((54.63, 83.29), (54.64, 83.29), (54.64, 83.31)),
            },
            "tok-river",
            now,
        )
        await uow.registry.add_tos({"name": "ТОС «Без карты»", "residents": 50}, "tok-none", now)
        await uow.registry.add_tos(
            {"name": "ТОС «Распущенный»", "residents": 10, "active": False}, "tok-gone", now
        )
        await uow.registry.grant(author.id, "tos", forest, "chair", ADMIN_ID, now)
        await uow.registry.add_org(
            {"name": "Совет ветеранов", "kind": "ngo", "contacts": "Гадюкин, 89137654321"}, now
        )
    initiatives = h.app.services.initiatives
    private = "Поставить скамейки, звоните Аграфене: +7 913 123-45-67, agrafena@example.ru"
    drafts = [
        Draft(
            direction="improvement",
            title="Скамейки у школы",
            description=private,
            address="ул. Садовая, 15, кв. 12, спросить Черноморцеву",
            latitude=54.641234567,
            longitude=83.305,
            show_author=True,
        ),
        Draft(
            direction="sport",
            title="Турник во дворе",
            description=private,
            address="у дома, где живёт мой сосед Гадюкин",
            tos_id=forest,
            show_author=True,
        ),
        Draft(direction="festivals", title="=1+2 Праздник двора", description=private),
        Draft(
            direction="memorials",
            title="Тайное предложение",
            description=private,
            latitude=54.6,
            longitude=83.3,
        ),
        Draft(direction="other", title="Ещё не рассмотрено", description=private),
        Draft(direction="other", title="Скрыто модерацией", description=private),
        Draft(direction="other", title="Звоните Гадюкину", description=private),
    ]
    ids = [(await initiatives.submit(author.id, d)).initiative.id for d in drafts]
    await initiatives.decide(ADMIN_ID, ids[0], "accepted")
    await initiatives.decide(ADMIN_ID, ids[1], "accepted")
    await initiatives.decide(ADMIN_ID, ids[1], "in_progress", "Начали, Черноморцева в курсе")
    await initiatives.decide(ADMIN_ID, ids[2], "accepted")
    await initiatives.decide(ADMIN_ID, ids[2], "done")
    await initiatives.decide(ADMIN_ID, ids[3], "rejected", "Гадюкин против, звоните 765-43-21")
    # Moderation: one hidden (not in open data), one edited (its public text only).
    moderation = h.app.services.moderation
    for number in ids[5:]:
        await initiatives.decide(ADMIN_ID, number, "accepted")
    await moderation.act(ADMIN_ID, ModerationDraft(initiative_id=ids[5], reason="Спам"))
    edit = ModerationDraft(
        initiative_id=ids[6], action="edit", title="Турник у дома", reason="Личные данные"
    )
    await moderation.act(ADMIN_ID, edit)
    await initiatives.support(neighbour.id, ids[0])
    await initiatives.comment(ADMIN_ID, ids[0], "Черноморцевой позвоним")
    await h.app.services.requests.submit(
        author.id,
        RequestDraft(kind="consultation", description=private, phone="+79131234567"),
    )
    assert maria


@pytest.fixture
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded town's database (its folder)."""
    folder = tmp_path_factory.mktemp("town")

    async def prepare() -> None:
        async with running(folder, admin_ids=frozenset({ADMIN_ID})) as h:
            h.clock.set(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
            await town(h)

    asyncio.run(prepare())
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel opens Cyrillic as it is
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    name = "figures-YEAR.csv" if path.name.startswith("figures-") else path.name
    assert rows[0] == COLUMNS[name], path.name  # the header row: the published columns
    assert all(len(row) == len(rows[0]) for row in rows), path.name
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (path.name, cell)  # never a formula
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def validate(path: Path) -> dict[str, object]:
    data = json.loads(path.read_bytes().decode("utf-8"))
    schema = json.loads((SCHEMAS / f"{path.name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize("sees", ["true", "false"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_open_data_files_validate_and_hold_nothing_personal(
    exported: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sees: str,
    lang: str,
) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(exported).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STAFF_SEES_PERSONAL_DATA", sees)
    monkeypatch.setenv("MUNICIPALITY_POPULATION", "56111")
    out = tmp_path / "open"
    assert (
        main(["export", "--what", "open-data", "--out", str(out), "--lang", lang, "--year", "2026"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "4 public initiatives, 3 TOS, the figures of 2026" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "README.txt",
        "figures-2026.csv",
        "initiatives.csv",
        "initiatives.geojson",
        "tos.csv",
        "tos.geojson",
    ]

    # Nothing personal, nothing hidden, in any file, in any encoding the file uses.
    for path in out.iterdir():
        text = path.read_bytes().decode("utf-8-sig")
        if path.suffix == ".geojson":  # as its readers read it: \\u escapes too
            text = json.dumps(json.loads(text), ensure_ascii=False)
        for secret in PERSONAL + HIDDEN:
            assert secret.casefold() not in text.casefold(), (path.name, secret)

    # The initiatives: both files list the same three, a place only where one was shared.
    rows = read_csv(out / "initiatives.csv")
    assert [r["title"] for r in rows] == [
        "Скамейки у школы",
        "Турник во дворе",
        "'=1+2 Праздник двора",
        "Турник у дома",
    ]
    bench, bar, feast, _edited = rows
    assert bench["latitude"] == "54.641235" and bench["longitude"] == "83.305"
    assert bench["supporters"] == "1" and bench["status"] == "accepted"
    assert bar["tos"] == "ТОС «Лесной»" and bar["status"] == "in_progress"
    assert bar["latitude"] == "" and feast["status"] == "done"
    assert bench["submitted_on"] == "2026-11-27"
    if lang == "ru":
        assert bench["number"] == "И-2026-0001"
        assert bench["direction_name"] == "Благоустройство и озеленение"
        assert bar["status_name"] == "в работе"
    else:
        assert bench["number"] == "I-2026-0001" and bar["status_name"] == "in progress"
    features = validate(out / "initiatives.geojson")["features"]
    assert isinstance(features, list) and len(features) == 4
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [83.305, 54.641235]}
    assert features[1]["geometry"] is None and features[2]["geometry"] is None
    assert features[2]["properties"]["title"] == "=1+2 Праздник двора"  # JSON: no formulas
    assert [f["properties"]["number"] for f in features] == [r["number"] for r in rows]

    # The registry: active TOS only, the contact they publish, never the staff's contacts.
    registry = read_csv(out / "tos.csv")
    assert [r["name"] for r in registry] == ["ТОС «Без карты»", "ТОС «Лесной»", "ТОС «Речной»"]
    forest = registry[1]
    assert forest["public_contact"] == "Приёмная ТОС по вторникам 18:00–20:00"
    assert forest["territory"] == "ул. Лесная, 1–15; пер. Сосновый"
    assert forest["residents"] == "240" and forest["radius_m"] == "400"
    tos = validate(out / "tos.geojson")["features"]
    assert isinstance(tos, list)
    assert [f["geometry"] and f["geometry"]["type"] for f in tos] == [None, "Point", "Polygon"]
    ring = tos[2]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] == [83.29, 54.63] and len(ring) == 4  # closed, lon first

    # The figures: the report's, one value a row.
    figures = {
        (r["indicator"], r["group"], r["subgroup"]): r for r in read_csv(out / "figures-2026.csv")
    }
    assert figures[("tos", "", "")]["value"] == "3"
    assert figures[("tos_residents", "", "")]["value"] == "410"
    assert figures[("population", "", "")]["value"] == "56111"
    assert figures[("initiatives", "improvement", "accepted")]["value"] == "1"
    assert figures[("initiatives", "memorials", "rejected")]["value"] == "1"
    assert figures[("requests", "consultation", "new")]["value"] == "1"
    assert figures[("organisations", "ngo", "")]["value"] == "1"

    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "- supporters:" in readme and "- tos_coverage_percent:" in readme
    if lang == "ru":
        assert "Открытые данные" in readme and "geometry" in readme


def test_open_data_refuses_nothing_but_needs_no_dates(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other exports still need their period; open data goes to ./open-data by default."""
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(exported).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["export", "--what", "requests", "--format", "csv"])
    assert main(["export", "--what", "open-data"]) == 0
    assert (tmp_path / "open-data" / "initiatives.geojson").exists()
    assert (tmp_path / "open-data" / "README.txt").exists()
