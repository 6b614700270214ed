"""Finding a TOS by the street a resident types: the street's match decides (a TOS without
that street is not offered), and a house number picks the TOS whose territory covers it
(ranges, lists, even and odd sides, or the whole street), in Russian and in English."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import create_i18n
from bot.sandbox.demo import DEMO, DemoContext, DemoPeople, DemoTown, demo_registry
from bot.services.registry_fields import STREET_WORDS
from bot.services.territory import HOUSE_MAX, StreetWords, rank_by_street, read_line, read_place
from bot.vocabulary import words_of
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent

SEVERAL = "Подходит несколько ТОС. Какой из них ваш?"


@cache
def vocabulary() -> StreetWords:
    words = words_of(create_i18n("ru"))
    return StreetWords(**{key: words(msgid) for key, msgid in STREET_WORDS.items()})


async def demo_town(h: Harness) -> None:
    """The sandbox's registry: TOS n has «streets[n], 1-(20+n)» and «streets[n+5], 2-10»,
    so «ул. Ленина» is in «Берёзка» (1-20) and in «Северный» (2-10)."""
    await demo_registry(DemoContext(h.app.db, h.clock, DemoTown(DemoPeople())))


async def search(person: Person, typed: str) -> Sent:
    await person.send("/tos")  # not a member of any: it asks for the street
    [found] = await person.send(typed)
    return found


def offered(found: Sent) -> list[str]:
    """The TOS a search offers: a list of buttons, or the one card it opened."""
    if found.text in (SEVERAL, "Several TOS match. Which one is yours?"):
        return found.flat_buttons
    first_line = found.text.split("\n")[0]
    return [
        name
        for name in (*DEMO.tos, "TOS South", "TOS North", "TOS East", "TOS West")
        if name in first_line
    ]


async def test_a_misspelt_street_offers_only_the_tos_that_have_it(harness: Harness) -> None:
    h = harness
    await demo_town(h)
    olga = await h.consented(h.user("Ольга"))
    # «Ленена» is one letter from «Ленина»; «ул. Лесная» (Южный, Наш двор) is not it.
    found = await search(olga, "улица Ленена")
    assert found.text == SEVERAL
    assert sorted(offered(found)) == ["ТОС «Берёзка»", "ТОС «Северный»"]
    found = await search(olga, "живу на улице Ленена")
    assert sorted(offered(found)) == ["ТОС «Берёзка»", "ТОС «Северный»"]
    # The exact name, in another case, finds the same two.
    assert sorted(offered(await search(olga, "на Ленина"))) == ["ТОС «Берёзка»", "ТОС «Северный»"]


async def test_a_house_number_picks_the_tos_that_covers_it(harness: Harness) -> None:
    h = harness
    await demo_town(h)
    olga = await h.consented(h.user("Ольга"))
    # «Северный» covers only 2-10 of ул. Ленина: house 15 is «Берёзка»'s alone (1-20).
    found = await search(olga, "Ленина, 15")
    assert offered(found) == ["ТОС «Берёзка»"], found.text
    assert "ул. Ленина, 1-20" in found.text
    assert offered(await search(olga, "ул. Ленена, д. 15")) == ["ТОС «Берёзка»"]
    # House 4 is in both; house 99 is in neither.
    assert sorted(offered(await search(olga, "Ленина 4"))) == ["ТОС «Берёзка»", "ТОС «Северный»"]
    none = await search(olga, "Ленина, 99")
    assert none.text.startswith("По запросу «Ленина, 99» ТОС не найден.")


async def test_sides_and_lists_of_houses(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    registry = h.app.services.registry
    for name, territory in (
        ("ТОС «Чётный»", ("ул. Садовая, чётные 2–40",)),
        ("ТОС «Нечётный»", ("ул. Садовая, нечётная сторона", "ул. Мира, д. 1, 3, 5")),
        ("ТОС «Мирный»", ("ул. Мира, 7–21",)),
        ("ТОС «Победа»", ("ул. 40 лет Победы, 1–9",)),
    ):
        tos = await registry.add_tos(ADMIN_ID, name)
        await registry.update_tos(ADMIN_ID, tos.id, {"territory": territory})
    olga = await h.consented(h.user("Ольга"))
    card = await search(olga, "Садовая 12")
    assert "ТОС «Чётный»" in card.text.split("\n")[0]
    assert "ТОС «Нечётный»" in (await search(olga, "на Садовой, дом 13")).text.split("\n")[0]
    assert "ТОС «Нечётный»" in (await search(olga, "Мира 3")).text.split("\n")[0]
    assert "ТОС «Мирный»" in (await search(olga, "Мира 9")).text.split("\n")[0]
    assert (await search(olga, "Мира 4")).text.startswith("По запросу")
    # «40» is part of the street's name, not a house.
    assert "ТОС «Победа»" in (await search(olga, "40 лет Победы, 5")).text.split("\n")[0]
    assert (await search(olga, "40 лет Победы, 12")).text.startswith("По запросу")


async def test_street_and_house_in_english(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    registry = h.app.services.registry
    for name, territory in (
        ("TOS South", ("Lenin street, 1–20",)),
        ("TOS North", ("Lenin street, 2–10",)),
        ("TOS East", ("Lemon street",)),
        ("TOS West", ("Linden lane, odd side", "Lenin street, even 22-40")),
    ):
        tos = await registry.add_tos(ADMIN_ID, name)
        await registry.update_tos(ADMIN_ID, tos.id, {"territory": territory})
    peter = await h.consented(h.user("Peter", language_code="en"))
    found = await search(peter, "I live on Lenen street")
    assert found.text == "Several TOS match. Which one is yours?"
    assert sorted(found.flat_buttons) == ["TOS North", "TOS South", "TOS West"]  # no Lemon
    assert offered(await search(peter, "Lenin street, 15")) == ["TOS South"]
    assert offered(await search(peter, "15 Lenin St")) == ["TOS South"]
    assert offered(await search(peter, "Lenin St, no. 24")) == ["TOS West"]
    assert sorted(offered(await search(peter, "Lenin street 4"))) == ["TOS North", "TOS South"]
    none = await search(peter, "Lenin street 23")
    assert none.text.startswith("No TOS was found for «Lenin street 23».")


def test_the_best_matching_street_wins() -> None:
    """An exact name beats a stem, a stem an abbreviation, an abbreviation a typo; a stem
    cut too short («Ленена» → «лен») is not «Лены»."""
    candidates = [
        ("Ленина", ["ул. Ленина, 1-20"]),
        ("Ленинградская", ["ул. Ленинградская"]),
        ("Лены", ["ул. Лены"]),
        ("Лесная", ["ул. Лесная"]),
        ("Lenin", ["Lenin street"]),
        ("Lemon", ["Lemon street"]),
    ]

    def rank(typed: str) -> list[str]:
        return rank_by_street(typed, candidates, vocabulary())

    assert rank("Ленин") == ["Ленина"]
    assert rank("Ленинград") == ["Ленинградская"]
    assert rank("улица Ленена") == ["Ленина"]
    assert rank("по Ленену") == ["Ленина"]  # a typo and a case ending
    assert rank("на Лене") == ["Лены"]
    assert rank("Лесной") == ["Лесная"]
    assert rank("Lenen st") == ["Lenin"]
    assert rank("Lemon street") == ["Lemon"]
    assert rank("Победы") == [] and rank("15") == []


# -- generated territories and addresses ---------------------------------------------------

RU_STREETS = (
    "ул. Ленина",
    "ул. Садовая",
    "пер. Школьный",
    "ул. 40 лет Победы",
    "ул. 8 Марта",
    "1-я Заводская ул.",
    "проспект Мира",
)
EN_STREETS = ("Lenin street", "Garden lane", "School st", "Victory avenue", "8 March street")
DASHES = ("-", "–", "—", " - ", " – ")


@dataclass(frozen=True)
class Group:
    parity: int | None  # 0 even, 1 odd, None every house
    spans: tuple[tuple[int, int], ...]  # () with a parity: the whole side


def covers(groups: list[Group], house: int) -> bool:
    if not groups:
        return True
    for group in groups:
        if group.parity is not None and house % 2 != group.parity:
            continue
        if not group.spans or any(lo <= house <= hi for lo, hi in group.spans):
            return True
    return False


numbers = st.integers(min_value=1, max_value=400)
span = st.one_of(
    numbers.map(lambda n: (n, n)),
    st.tuples(numbers, numbers).map(lambda p: (min(p), max(p))),
)
spans = st.lists(span, min_size=1, max_size=4).map(tuple)


@st.composite
def territories(draw: st.DrawFn) -> tuple[str, list[Group]]:
    """A territory line in one of the ways staff write it, with what it covers."""
    english = draw(st.booleans())
    street = draw(st.sampled_from(EN_STREETS if english else RU_STREETS))
    kind = draw(st.sampled_from(("whole", "plain", "forward", "backward")))
    groups: list[Group] = []
    if kind == "plain":
        groups = [Group(None, draw(spans))]
    elif kind != "whole":
        sided = draw(
            st.lists(
                st.tuples(st.sampled_from((0, 1)), st.one_of(st.just(()), spans)),
                min_size=1,
                max_size=2,
            )
        )
        groups = [Group(parity, found) for parity, found in sided]
        plain = draw(st.one_of(st.none(), spans))
        if plain is not None and kind == "forward" and groups[0].spans:
            groups.insert(0, Group(None, plain))
        elif plain is not None and kind == "backward":
            groups.append(Group(None, plain))

    def side(parity: int) -> str:
        if english:
            return draw(
                st.sampled_from(
                    ("even", "even side", "even numbers")
                    if parity == 0
                    else ("odd", "odd side", "odd numbers")
                )
            )
        return draw(
            st.sampled_from(
                ("чётные", "четные", "чётная сторона", "чёт.")
                if parity == 0
                else ("нечётные", "нечетная сторона", "нечёт.")
            )
        )

    def houses(found: tuple[tuple[int, int], ...]) -> str:
        parts = []
        for lo, hi in found:
            if lo == hi:
                parts.append(
                    str(lo)
                    + draw(st.sampled_from(("", "а", "/1") if not english else ("", "a", "/1")))
                )
            elif draw(st.booleans()):
                parts.append(f"{lo}{draw(st.sampled_from(DASHES))}{hi}")
            else:
                parts.append(f"from {lo} to {hi}" if english else f"с {lo} по {hi}")
        joiner = draw(st.sampled_from((", ", " and ") if english else (", ", " и ")))
        return joiner.join(parts)

    texts = []
    for group in groups:
        numbers_text = houses(group.spans) if group.spans else ""
        if group.parity is None:
            texts.append(numbers_text)
        elif kind == "forward":
            texts.append(f"{side(group.parity)} {numbers_text}".strip())
        else:
            texts.append(f"{numbers_text} {side(group.parity)}".strip())
    spec = ", ".join(texts)
    if spec and draw(st.booleans()):
        prefixes = ("houses ", "no. ") if english else ("д. ", "дома ", "№ ")
        spec = draw(st.sampled_from(prefixes)) + spec
    if not spec:
        return street, groups
    return f"{street}{draw(st.sampled_from((', ', ' ')))}{spec}", groups


@given(territories(), st.integers(min_value=1, max_value=450))
def test_a_territory_line_covers_the_houses_it_lists(
    line_and_groups: tuple[str, list[Group]], house: int
) -> None:
    line, groups = line_and_groups
    read = read_line(line, vocabulary())
    assert read.houses.covers(house) == covers(groups, house), (line, read.houses)
    assert read.words, line  # the street's name is still there


@given(
    st.sampled_from((*RU_STREETS[:3], "улица 40 лет Победы")),
    st.integers(min_value=1, max_value=HOUSE_MAX),
    st.sampled_from(("", "а", "/2", " корп. 3")),
    st.sampled_from(
        (
            "{street}, {house}",
            "{street} {house}",
            "{street}, д. {house}",
            "живу на {street}, дом {house}, кв. 7",
            "дом {house} по {street}",
        )
    ),
)
def test_the_house_a_resident_types_in_russian(
    street: str, house: int, suffix: str, style: str
) -> None:
    typed = style.format(street=street, house=f"{house}{suffix}")
    line = read_line(street.replace("улица", "ул."), vocabulary())
    assert read_place(typed, vocabulary()).house_for(line) == house, typed


@given(
    st.sampled_from(EN_STREETS[:4]),
    st.integers(min_value=1, max_value=HOUSE_MAX),
    st.sampled_from(("", "a", "/2")),
    st.sampled_from(
        (
            "{street}, {house}",
            "{street} {house}",
            "{house} {street}",
            "I live at {house} {street}",
            "{street}, no. {house}, flat 7",
        )
    ),
)
def test_the_house_a_resident_types_in_english(
    street: str, house: int, suffix: str, style: str
) -> None:
    typed = style.format(street=street, house=f"{house}{suffix}")
    assert read_place(typed, vocabulary()).house_for(read_line(street, vocabulary())) == house


@given(st.sampled_from(("ул. 40 лет Победы", "ул. 8 Марта", "8 March street")))
def test_a_number_in_a_streets_name_is_no_house(street: str) -> None:
    line = read_line(street, vocabulary())
    assert read_place(street.removeprefix("ул. "), vocabulary()).house_for(line) is None
    assert line.houses.covers(1) and line.houses.covers(77)  # the whole street


def test_the_examples_staff_are_shown_read_as_they_say() -> None:
    """The territory prompt's examples, in both languages, list houses the search reads."""
    i18n = create_i18n("ru")
    msgid = (
        "The streets and houses, one per line, e.g.\nLenin St, 1–15\n"
        "Sovetskaya St, 2, 4, 6\nGarden Lane, odd 1–37\nSchool Lane\n"
        "A street without house numbers is the whole street."
    )
    for locale in ("ru", "en"):
        lines = i18n.gettext(msgid, locale=locale).split("\n")[1:5]
        first, listed, odd, whole = (read_line(line, vocabulary()) for line in lines)
        assert [first.houses.covers(n) for n in (1, 15, 16)] == [True, True, False], lines
        assert [listed.houses.covers(n) for n in (4, 5, 8)] == [True, False, False], lines
        assert [odd.houses.covers(n) for n in (3, 4, 39)] == [True, False, False], lines
        assert whole.houses.whole and whole.words, lines
