"""Property: every card, list and notification of the bot fits Telegram's limits with every
field at its maximum length and hostile characters (<, >, &, quotes, «», astral emoji, RTL
marks, HTML-like text): text 4,096 and caption 1,024 (UTF-16 units, as kit.py counts),
callback data 64 bytes, valid HTML.

Three views, each of which notices what is added later without coverage:
- every message of the catalogs (outbox templates, refusals, prompts, labels) formatted
  with the longest values its placeholders get: a new placeholder needs its maximum here;
- every renderer in handlers/ (a function that returns a text or a text and buttons) is a
  card called with the longest data, or a helper named here with what covers it, and every
  outbox renderer is drawn;
- the real dispatcher: every command and the buttons under its answers, for staff, a chair
  and residents in both languages, and the whole outbox delivered, over the same data.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import pkgutil
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html import escape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from babel.messages.pofile import read_po
from hypothesis import example, given, settings
from hypothesis import strategies as st

import handlers
from bot.i18n import LOCALES_DIR
from bot.services import cases, competitions, events, initiatives, moderation, registry, requests
from bot.services.cases import Number
from bot.services.initiatives import STAFF_CARD
from bot.services.registry import ROLE_ACCEPTED
from bot.services.registry_fields import ORG_FIELDS, TOS_FIELDS
from bot.services.reports import DIGEST, DIGEST_CHART
from bot.services.requests import CLOSED as REQUEST_CLOSED
from bot.services.requests import NUMBER as REQUEST_NUMBER
from bot.services.requests import STAFF_CARD as REQUEST_CARD
from bot.services.staff import INVITE_ACCEPTED, Role
from bot.services.workdays import DAYS_OFF_AHEAD, NAME_LIMIT, WorkCalendar
from bot.textsplit import length, split_html, visible_length
from handlers import event_changes
from handlers.common import language_choices, staff_commands
from handlers.competition_cards import application_line, competition_text, finished_text
from handlers.competition_staff import results_preview_text
from handlers.consent import notice_text
from handlers.events import event_text
from handlers.initiative_cards import card_text, staff_author_line, staff_card, view_of_draft
from handlers.initiatives_public import list_view, my_text, public_card, tos_choice_view
from handlers.moderation_staff import log_view
from handlers.outbox import render as outbox_render
from handlers.registry_admin import _field_prompt
from handlers.registry_cards import (
    coverage_text,
    org_staff_card,
    tos_public_card,
    tos_staff_card,
)
from handlers.registry_import import _import_help
from handlers.reports import digest_text
from handlers.request_cards import card_text as request_card_text
from handlers.request_cards import requester_line, requester_view
from handlers.request_cards import staff_card as request_staff_card
from handlers.request_cards import view_of_draft as request_view_of_draft
from handlers.staff_admin import staff_view
from handlers.workdays import days_off_view
from tests.conftest import ADMIN_ID
from tests.kit import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Harness,
    Person,
    check_html,
    running,
)

# Tokens hostile to HTML and to counting: markup-like text, entities, quotes, astral emoji
# (two UTF-16 units each), a family emoji (a ZWJ sequence), RTL marks. No «;» (it separates
# a territory's lines) and no spaces (so that trimming keeps the length at its maximum).
HOSTILE = [
    "<",
    ">",
    "&",
    '"',
    "'",
    "«",
    "»",
    "„",
    "“",
    "😀",
    "👨‍👩‍👧",
    "\u200f",
    "\u202e",
    "<b>",
    "</i>",
    "&amp",
    "<a href='x'>",
    "Ж",
    "ё",
    "a",
    "𝔘",
    "\\",
    "{}",
    "%s",
]
seeds = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=6).map("".join)
ASTRAL = "😀"  # the worst case for length: every character two units
MARKUP = "<b>&amp"  # the worst case for escaping: every character an entity


def fill(seed: str, units: int) -> str:
    """`seed` repeated to exactly `units` UTF-16 units (a letter pads an odd end)."""
    out: list[str] = []
    used = 0
    while used < units:
        for char in seed:
            size = 2 if ord(char) > 0xFFFF else 1
            if used + size > units:
                break
            out.append(char)
            used += size
        else:
            continue
        break
    out.extend("x" * (units - used))
    assert length("".join(out)) == units
    return "".join(out)


def fits(text: str, limit: int = TEXT_LIMIT, *, html: bool = True) -> None:
    size = visible_length(text) if html else length(text)
    assert size <= limit, f"{size} > {limit}: {text[:300]!r}"
    if html:
        assert check_html(text) is None, (check_html(text), text[:300])


# -- 1. every message of the catalogs --------------------------------------------------------

NUMBER = "999 999 999 999"
PERSON = 64 + 1 + 64 + 3 + 32  # first and last name, « (@username)»: Telegram's limits
BODY = 150  # a TOS's or an organisation's name (registry_fields.parse_name)
# The longest value each placeholder gets, in UTF-16 units: what people type at its limit,
# what the code builds otherwise. A new placeholder is noticed here.
PLACEHOLDERS: dict[str, int | str] = {
    "address": initiatives.ADDRESS_LIMITS[1],
    "body": BODY,
    "caption": initiatives.CAPTION_LIMITS[1],
    "comment": max(initiatives.COMMENT_LIMITS[1], initiatives.REASON_LIMITS[1]),
    "name": max(PERSON, BODY),
    "organiser": max(competitions.TEXT_LIMITS["organiser"][1], events.TEXT_LIMITS["organiser"][1]),
    "place": events.TEXT_LIMITS["place"][1],
    "old_place": events.TEXT_LIMITS["place"][1],  # an event's place before it moved
    "problems": 2000,  # a dry run's problems of one row (the import's own summary)
    "project": competitions.PROJECT_LIMITS[1],
    "reason": initiatives.REASON_LIMITS[1],
    "text": max(requests.MESSAGE_LIMIT, registry.ANNOUNCE_MAX),
    "title": max(
        initiatives.TITLE_LIMITS[1],
        competitions.TEXT_LIMITS["title"][1],
        events.TEXT_LIMITS["title"][1],
    ),
    "tos": BODY,
    "typed": 100,  # what a resident typed, cut to 100 (handlers/tos.py)
    "value": 300,  # a competition's current value, cut to 300 (handlers/competitions.py)
    "link": 500,  # a rules link (competitions.parse_url), a t.me link
    "phone": 32,
    "operator": 300,  # the town's name and its words, from the settings
    "municipality": 300,
    "columns": 300,  # the import's column names, from the catalogs
    "counts": 300,  # «new: 3, under review: 5…»
    "choices": 100,
    "kinds": 100,
    "uses": 200,  # a sentence of the catalog
    "who": 2 * BODY,  # «TOS «name»», or the eligible bodies
    # A broadcast's audience: «the event «…» to members of «…»», each name cut to 80.
    "audience": 2 * 80 + 60,
    "event": events.TEXT_LIMITS["title"][1],
    "part": 100,  # a part of an XLSX file, its name cut to 100 (registry_io)
    "status": 300,  # a status, or a report's line of them
    "sheet": 31,  # an XLSX sheet's name (Excel's limit)
    "ref": 40,  # a sheet's declared range, «A1:XFD1048576»
    # The report's sentences (a document, but checked like any message).
    "was": 100,  # « (in 2025: 15)», « (from 01.03.2025 to 31.08.2025: …)»
    "parts": 400,  # «methodological consultations — 4, …», every kind or direction
    "titles": 5 * (initiatives.TITLE_LIMITS[1] + 4),  # five examples, quoted
    "names": 3 * (competitions.PROJECT_LIMITS[1] + 4),  # three winning projects, quoted
    # A competition's announced winners, one a line («🎉 «body»: «project», amount ₽»).
    "winners": competitions.WINNERS_IN_MESSAGE * (BODY + competitions.PROJECT_LIMITS[1] + 40),
    "more": 100,  # «…and 12 more winners: /competitions»
    "file": 60,  # open data's README: a file's name or two («tos.csv, tos.geojson»)
    "prepared": 40,  # open data's README: the day the files were written
    "events": 5 * (events.TEXT_LIMITS["title"][1] + 20),  # five planned, with their dates
    "town": 300,
    "aim": 100,
    "label": 80,
    "span": 20,
    "whom": 40,
    "share": 20,
    "period": 60,
    "opening": 60,  # «In 2026», «From 01.03.2026 to 31.08.2026»
    "as_of": 40,
    "reasons": 250,  # «spam: 2, offensive: 1…», every reason of a report
}
# Labels of the catalogs (a status, a role, a kind, a direction), dates and numbers.
LABELS = (
    "current wanted direction kind role rating what field joint agree disagree action "
    "larger smaller"
)
DATES = (
    "date due deadline when start end since opens number other amount awarded today day first "
    "last previous example before after"
)
NUMBERS = (
    "count total sent pending failed skipped cancelled sending members going capacity added "
    "updated residents population year seq days page pages line percent winners held done "
    "open rejected overdue size max high low length left ngo radius rows on_time"
)
PLACEHOLDERS |= dict.fromkeys(LABELS.split(), 80) | dict.fromkeys(DATES.split(), 40)
PLACEHOLDERS |= dict.fromkeys(NUMBERS.split(), "number") | dict.fromkeys(("lat", "lon"), "float")
# Messages sent as a file's caption (1,024).
CAPTIONS = {
    "Open the file to add «{title}» to your calendar.",
    "The registry as a file. Edit it and import it back: rows are matched by type and name.",
    "The join poster of «{name}»: a resident who scans it joins the TOS at once.",  # + a link
    "Print this poster: a neighbour who scans it joins «{name}» at once.\n{link}",
    "The report as a document to edit and submit: text, tables and charts.",
    "The same text and tables in Markdown.",
    "{what}: {count} rows.",
    "The week in a picture: new initiatives and requests by week.",
    events.ICS_UPDATED,
    events.ICS_CANCELLED,
}
FIELD_RE = re.compile(r"{([a-z_]+)(?::[^}]*)?}")


def catalog(locale: str) -> dict[str, tuple[str, ...]]:
    """msgid -> its translations (every plural form)."""
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        found = read_po(source, locale=locale)
    out: dict[str, tuple[str, ...]] = {}
    for message in found:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out[key] = tuple(s for s in strings if s)
    return out


CATALOGS = {locale: catalog(locale) for locale in ("ru", "en")}


def placeholder_value(name: str, seed: str) -> Any:
    kind = PLACEHOLDERS[name]
    if kind == "float":
        return -179.123456789
    if kind == "number":
        return NUMBER
    assert isinstance(kind, int)
    return escape(fill(seed, kind), quote=False)


def test_every_placeholder_has_a_maximum() -> None:
    used = {
        name
        for messages in CATALOGS.values()
        for strings in messages.values()
        for text in strings
        for name in FIELD_RE.findall(text)
    }
    assert used <= set(PLACEHOLDERS), (
        f"give these placeholders a maximum: {used - PLACEHOLDERS.keys()}"
    )
    assert set(CATALOGS["en"]) >= CAPTIONS, CAPTIONS - set(CATALOGS["en"])


@given(seed=seeds)
@example(seed=ASTRAL)
@example(seed=MARKUP)
def test_every_catalog_message_fits(seed: str) -> None:
    """Each message alone, its placeholders at their longest: one message, valid HTML."""
    for messages in CATALOGS.values():
        for msgid, strings in messages.items():
            limit = CAPTION_LIMIT if msgid in CAPTIONS else TEXT_LIMIT
            for text in strings:
                values = {name: placeholder_value(name, seed) for name in FIELD_RE.findall(text)}
                fits(text.format(**values), limit)


# -- the world: every stored text at its limit -------------------------------------------------


class World:
    """A bot over a fresh database where every free text is at its longest: staff, a TOS
    chair, residents; a TOS, an organisation, initiatives in every status, requests with
    long conversations, a competition with applications, events, an announcement."""

    def __init__(self, harness: Harness, seed: str) -> None:
        self.h = harness
        self.seed = seed
        self.initiative_ids: list[int] = []
        self.request_ids: list[int] = []
        self.called_off_id = 0

    def text(self, units: int) -> str:
        return fill(self.seed, units)

    async def person(self, lang: str, user_id: int | None = None) -> Person:
        person = self.h.user(
            self.text(64),
            last_name=self.text(64),
            username="u" * 31 + str(lang == "en"),
            language_code=lang,
            user_id=user_id,
        )
        return await self.h.consented(person)

    async def build(self) -> World:
        h, app, now = self.h, self.h.app, self.h.clock.now()
        self.admin = await self.person("ru", ADMIN_ID)
        self.clerk = await self.person("en")
        await app.services.staff.add(ADMIN_ID, self.clerk.id)
        self.chair = await self.person("ru")
        self.anna = await self.person("en")
        self.boris = await self.person("ru")

        tos = await app.services.registry.add_tos(ADMIN_ID, self.text(BODY))
        self.tos_id = tos.id
        lines = "\n".join(self.text(200) for _ in range(300))
        values: dict[str, Any] = {}
        for field, value in (
            ("territory", lines),
            ("residents", "1000000"),
            ("registered_on", "01.01.1990"),
            ("area", "54.6401 83.3062 20000"),
            ("contacts", self.text(300)),
            ("public_contact", self.text(300)),
            ("description", self.text(1000)),
        ):
            values.update(app.services.registry.parse_tos_field(field, value))
        await app.services.registry.update_tos(ADMIN_ID, tos.id, values)
        org = await app.services.registry.add_org(ADMIN_ID, self.text(BODY - 1) + "o")
        self.org_id = org.id
        org_values: dict[str, Any] = {"kind": "ngo"}
        for field, value in (("description", self.text(1000)), ("contacts", self.text(300))):
            org_values.update(app.services.registry.parse_org_field(field, value))
        await app.services.registry.update_org(ADMIN_ID, org.id, org_values)
        async with app.db.transaction() as uow:
            await uow.registry.grant(self.chair.id, "tos", tos.id, "chair", ADMIN_ID, now)
            await uow.registry.grant(self.anna.id, "tos", tos.id, "deputy", ADMIN_ID, now)
            await uow.registry.grant(self.anna.id, "org", org.id, "rep", ADMIN_ID, now)
            await uow.registry.join(tos.id, self.boris.id, now)
        invite = await app.services.registry.create_invite(ADMIN_ID, "deputy", tos.id, several=True)
        await self.boris.send(f"/start {invite.payload}")
        staff_invite = await app.services.staff.create_invite(ADMIN_ID)
        self.vera = await self.person("en")
        await self.vera.send(f"/start {staff_invite.payload}")

        await self._initiatives()
        await self._requests()
        await self._competition()
        await self._events()
        await app.services.registry.announce(
            self.chair.id, tos.id, self.text(registry.ANNOUNCE_MAX)
        )
        await app.services.reports.send_due_digests()
        await h.deliver()
        return self

    async def _initiatives(self) -> None:
        service = self.h.app.services.initiatives
        photos = [f"photo-{n}" for n in range(initiatives.MAX_PHOTOS)]
        for _ in range(10):
            draft = initiatives.Draft(
                direction="memorials",
                title=self.text(initiatives.TITLE_LIMITS[1]),
                description=self.text(cases.DESCRIPTION_LIMITS[1]),
                photos=photos,
                captions=dict.fromkeys(photos, self.text(initiatives.CAPTION_LIMITS[1])),
                address=self.text(initiatives.ADDRESS_LIMITS[1]),
                tos_id=self.tos_id,
                show_author=True,
            )
            submitted = await service.submit(self.anna.id, draft)
            self.initiative_ids.append(submitted.initiative.id)
        _new, review, accepted, progress, done, merged, *rejected = self.initiative_ids
        await service.decide(ADMIN_ID, review, "review")
        for item in (accepted, progress, done):
            await service.decide(ADMIN_ID, item, "accepted")
        await service.support(self.boris.id, accepted)
        comment = self.text(initiatives.COMMENT_LIMITS[1])
        await service.decide(ADMIN_ID, progress, "in_progress", comment)
        await service.comment(ADMIN_ID, progress, comment)
        await service.decide(ADMIN_ID, done, "done", after_photos=["photo-2"] * 5)
        await service.merge(ADMIN_ID, merged, accepted)
        for item in rejected:
            await service.decide(
                ADMIN_ID, item, "rejected", self.text(initiatives.REASON_LIMITS[1])
            )
        await self._moderation(accepted, progress, done)

    async def _moderation(self, accepted: int, progress: int, done: int) -> None:
        """Reports of every reason, an edit at the longest, a hiding by staff and by reports,
        and a log of more than a page."""
        mod = self.h.app.services.moderation
        for person, reason in ((self.boris, "spam"), (self.chair, "offensive")):
            await mod.report(person.id, accepted, reason)
        # The longest reasons hide `done`, which is then edited too: its staff card has every
        # line moderation adds (hidden, the reports, edited).
        for person, reason in (
            (self.boris, "personal"),
            (self.chair, "off_topic"),
            (self.clerk, "offensive"),
        ):
            await mod.report(person.id, done, reason)
        why = self.text(moderation.REASON_LIMITS[1])
        for edited in (accepted, done):
            edit = moderation.ModerationDraft(
                initiative_id=edited,
                action="edit",
                title=self.text(initiatives.TITLE_LIMITS[1] - 1) + "e",
                description=self.text(cases.DESCRIPTION_LIMITS[1] - 1) + "e",
                reason=why,
            )
            await mod.act(ADMIN_ID, edit)
        for action in ("hide", "restore", "hide", "restore", "hide"):
            draft = moderation.ModerationDraft(initiative_id=progress, action=action, reason=why)
            await mod.act(ADMIN_ID, draft)

    async def _requests(self) -> None:
        service = self.h.app.services.requests
        longest = self.text(requests.MESSAGE_LIMIT)
        wanted = (self.h.clock.now() + timedelta(days=3)).date().isoformat()
        for _ in range(4):
            draft = requests.RequestDraft(
                kind="transport",
                behalf_kind="tos",
                behalf_id=self.tos_id,
                behalf_name=None,
                description=self.text(cases.DESCRIPTION_LIMITS[1]),
                wanted_date=wanted,
                phone="+" + "7" * 31,
                file_kind="photo",
                file_id="photo-1",
            )
            submitted = await service.submit(self.anna.id, draft)
            self.request_ids.append(submitted.request.id)
        talk, declined, taken, _new = self.request_ids
        await service.take(ADMIN_ID, talk)
        for _ in range(3):
            await service.answer(ADMIN_ID, talk, longest, None)
            await service.follow_up(self.anna.id, talk, longest, None)
        await service.answer(ADMIN_ID, talk, longest, ("document", "doc-1"))
        await service.follow_up(
            self.anna.id, talk, self.text(requests.CAPTION_ROOM), ("photo", "p")
        )
        await service.close(ADMIN_ID, talk)
        await service.rate(self.anna.id, talk, helped=False)
        await service.rate_comment(self.anna.id, talk, longest)
        await service.reject(ADMIN_ID, declined, longest)
        await service.take(ADMIN_ID, taken)
        # 59-FZ's extension, with the longest reason: the card, /inbox, the digest, the
        # requester's view and the notice say so.
        extension = requests.ExtensionDraft(
            request_id=taken, days=30, reason=self.text(requests.REASON_LIMIT)
        )
        await service.extend(ADMIN_ID, extension)

    async def _competition(self) -> None:
        service, now = self.h.app.services.competitions, self.h.clock.now()
        limits = competitions.TEXT_LIMITS
        draft = competitions.CompetitionDraft(
            title=self.text(limits["title"][1]),
            organiser=self.text(limits["organiser"][1]),
            description=self.text(limits["description"][1]),
            eligible=("tos", "ngo", "group"),
            deadline=now + timedelta(days=6),
            results_at=now + timedelta(days=60),
            rules_url="https://" + self.text(489) + ".ru",
            max_grant=competitions.MAX_AMOUNT - 1,
        )
        competition = await service.create(ADMIN_ID, draft)
        self.competition_id = competition.id
        most = competitions.MAX_AMOUNT - 1
        for kind, body in (("tos", self.tos_id), ("org", self.org_id)):
            application = await service.register(
                self.anna.id,
                competition.id,
                competitions.ApplicationDraft(
                    body_kind=kind,
                    body_id=body,
                    direction="memorials",
                    amount=most,
                    project=self.text(competitions.PROJECT_LIMITS[1]),
                ),
            )
        await service.record_result(ADMIN_ID, application.id, True, most)
        await service.tick()

    async def _events(self) -> None:
        service, start = self.h.app.services.events, self.h.clock.now() + timedelta(days=2)
        limits = events.TEXT_LIMITS
        for owner, owner_id, audience, actor in (
            ("town", 0, None, ADMIN_ID),
            ("tos", self.tos_id, self.tos_id, self.chair.id),
        ):
            draft = events.EventDraft(
                owner_kind=owner,
                owner_id=owner_id,
                title=self.text(limits["title"][1]),
                starts_at=start,
                ends_at=start + timedelta(days=1),
                place=self.text(limits["place"][1]),
                organiser=self.text(limits["organiser"][1]),
                joint=True,
                capacity=1,
                audience_tos=audience,
            )
            event = await service.create(actor, draft, "town hall")
        self.event_id = event.id
        await service.sign_up(self.anna.id, event.id)
        await service.sign_up(self.boris.id, event.id)
        await service.cancel(self.anna.id, event.id)
        await service.sign_up(self.anna.id, event.id)
        # Moved to the longest other place, and one more called off with the longest reason:
        # everyone signed up is told (the outbox is delivered and measured).
        later = start + timedelta(days=1)
        await service.change(
            ADMIN_ID,
            events.EventChange(
                event.id,
                "both",
                later,
                later + timedelta(days=1),
                self.text(limits["place"][1] - 1) + "p",
            ),
        )
        draft = dataclasses.replace(draft, audience_tos=None, token="called-off")
        called_off = await service.create(self.chair.id, draft, "town hall")
        await service.sign_up(self.boris.id, called_off.id)
        reason = self.text(events.REASON_LIMITS[1])
        await service.call_off(ADMIN_ID, events.EventCancel(called_off.id, reason))
        self.called_off_id = called_off.id


# -- 2. every renderer -------------------------------------------------------------------------

Drawn = tuple[str, InlineKeyboardMarkup | None]
# (the renderers drawn, async (world) -> what they draw, a list that may go in parts)
DRAWINGS: list[tuple[tuple[str, ...], Any, bool]] = []


def card(*names: str, is_list: bool = False) -> Any:
    """Register a drawing of the renderers `names` (a list is longer than one message with
    many long items and goes in parts; a card fits one message)."""

    def register(draw: Any) -> Any:
        DRAWINGS.append((names, draw, is_list))
        return draw

    return register


# Functions in handlers/ that return a text but are pieces of the cards above (or not
# texts for a message at all), with what covers them.
HELPERS = {
    "handlers.render.escape": "escaping, in every card",
    "handlers.render.person": "a name, on the staff cards",
    "handlers.render.number": "a number, on the cards",
    "handlers.forms.short": "shortening, in the lists",
    "handlers.errors.render_error": "a refusal: the catalog messages",
    "handlers.links.poster_link": "a link: the dispatcher's /tos and /registry",
    "handlers.deeplinks.card_number": "a /start payload, not a text",
    "handlers.common.language_label": "a language's name, in language_choices",
    "handlers.initiative_cards.number_of": "a number, on the initiative cards",
    "handlers.initiative_cards.staff_author_line": "a line of the staff card",
    "handlers.request_cards.number_of": "a number, on the request cards",
    "handlers.request_cards.behalf_label": "a line of the request cards",
    "handlers.request_cards.file_label": "a line of the request cards",
    "handlers.request_cards.requester_line": "a line of the staff card",
    "handlers.request_cards.visible": "a measure, not a text",
    "handlers.request_cards._when": "a date, in message_line",
    "handlers.request_cards.message_line": "a line of the request cards",
    "handlers.registry_cards._territory": "a part of the TOS cards",
    "handlers.registry_cards.role_name": "a label, on the registry cards",
    "handlers.registry_cards._people": "a part of the registry cards",
    "handlers.registry_cards.residents_covered": "a part of coverage_text",
    "handlers.registry_cards.holder_line": "a line of the registry cards, in _people",
    "handlers.registry_cards.remove_label": "a button's label, on the registry card",
    "handlers.registry_cards._since": "a date, in holder_line and remove_label",
    "handlers.competition_cards.days_left": "a label, in the competitions list",
    "handlers.competition_cards.eligible_text": "a part of competition_text",
    "handlers.competition_cards.rub": "an amount, on the competition cards",
    "handlers.events.owner_name": "a label, in the event form",
    "handlers.events._places": "a line of event_text",
    "handlers.event_changes._told": "a line of the change forms' last answer: catalog messages",
    "handlers.reports._number": "a number, in the digest",
    "handlers.reports._link": "a line of the digest",
    "handlers.reports._counts": "a line of the digest",
    "handlers.outbox._reason": "a line of /outbox",
    "handlers.outbox._audience": "a label, in /outbox",
    "handlers.outbox._line": "a line of /outbox",
    "handlers.staff_admin._button_name": "a button's label, in staff_view",
    "handlers.initiatives.intro": "a form's opening: catalog messages",
    "handlers.initiatives.ask_photos": "a step's question: catalog messages",
    "handlers.initiatives.preview": "a line and card_text, drawn in _initiative_preview",
    "handlers.requests.intro": "a form's opening: catalog messages",
    "handlers.requests.ask_behalf": "a step's question: catalog messages",
    "handlers.requests.phone_said": "a catalog message",
    "handlers.requests.preview": "a line and card_text, drawn in _request_preview",
    "handlers.requests.read_phone": "reads what was sent",
    "handlers.requests.read_file": "reads what was sent",
    "handlers.competition_staff.current_value": "a value, in a prompt (the catalog's {value})",
    "handlers.competition_staff.ask_change": "a step's question: catalog messages",
    "handlers.competition_form.ask_title": "a step's question: catalog messages",
    "handlers.competition_form.preview": "a line and competition_text, drawn in _competition_cards",
    "handlers.application_form.ask_project": "a step's question: catalog messages",
    "handlers.application_form.preview": "a line of the application form: catalog messages",
    "handlers.events.ask_title": "a step's question: catalog messages",
    "handlers.events.owner_code": "a button's code (kind and id)",
    "handlers.events.preview": "a line and event_text, drawn in event_text's drawing",
    "handlers.tos.ask_value": "a step's question: a catalog message and a field's label",
    "handlers.tos.read_value": "reads what was sent",
    "handlers.registry_cards.body_kind": "a button's kind of body (tos or org)",
    "handlers.registry_admin._in_group": "a step's question and a hint: catalog messages",
    "handlers.registry_admin.ask_name": "a step's question: catalog messages",
    "handlers.registry_admin.ask_value": "a step's question: _field_prompt and a hint",
    "handlers.common.typed_language": "reads what was typed",
    "handlers.form_guard.form_group": "a form's name, not a text",
    "handlers.requests_staff.message_file": "a file's id",
    "handlers.requests_staff.extension_intro": "a form's opening: catalog messages",
    "handlers.moderation_staff.ask_reason": "a step's question: catalog messages",
}


def renderers() -> set[str]:
    """Every function of handlers/ that returns a text, or a text and its buttons."""
    found = set()
    for module_info in pkgutil.iter_modules(handlers.__path__):
        module = importlib.import_module(f"handlers.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            returns = str(function.__annotations__.get("return", ""))
            texts = returns in ("str", "str | None") or returns.startswith("tuple[str")
            if function.__module__ == module.__name__ and texts:
                found.add(f"{module.__name__}.{name}")
    return found


@card(
    "handlers.initiative_cards.staff_card",
    "handlers.initiative_cards.card_text",
    "handlers.initiative_cards.card_with_notes",
)
async def _initiative_staff_cards(w: World) -> list[Drawn]:
    """Each initiative's staff card: one hidden by reports and edited has every line
    moderation adds under the longest text."""
    service = w.h.app.services.initiatives
    return [staff_card(await service.staff_card(i)) for i in w.initiative_ids]


@card("handlers.moderation_staff.log_view", "handlers.moderation_staff.log_line")
async def _moderation_log(w: World) -> list[Drawn]:
    service = w.h.app.services.moderation
    pages = [await service.log_page(ADMIN_ID, page) for page in (0, 1)]
    return [log_view(page, service) for page in pages]


@card("handlers.initiative_cards.card_text")
async def _initiative_preview(w: World) -> list[Drawn]:
    app = w.h.app
    card = await app.services.initiatives.staff_card(w.initiative_ids[0])
    record, photos = card.initiative, card.photos
    draft = initiatives.Draft(
        direction=record.direction,
        title=record.title,
        description=record.description,
        address=record.address,
        photos=[p.file_id for p in photos],
        tos_id=w.tos_id,
        captions={p.file_id: p.caption for p in photos if p.caption},
    )
    anna = await app.services.users.get(w.anna.id)
    assert anna is not None
    author = staff_author_line(app.services.initiatives.author_for_staff(anna))
    tos_name = await app.services.initiatives.tos_name(w.tos_id)
    return [(card_text(view_of_draft(draft, tos_name), author), None)]


@card("handlers.initiatives_public.public_card")
async def _initiative_public_cards(w: World) -> list[Drawn]:
    service = w.h.app.services.initiatives
    # Every initiative, public or not, drawn as the public card (the role lets it be read).
    cards = [await service.public_card(w.boris.id, Role.STAFF, i) for i in w.initiative_ids]
    return [public_card(card) for card in cards]


@card("handlers.initiatives_public.list_view", "handlers.initiatives_public.tos_choice_view")
async def _initiative_lists(w: World) -> list[Drawn]:
    service = w.h.app.services.initiatives
    return [
        await list_view(service, 0, "memorials", w.tos_id),
        await list_view(service, 0, "", 0),
        await tos_choice_view(service, "memorials"),
    ]


@card("handlers.initiatives_public.my_text", "handlers.request_cards.my_requests", is_list=True)
async def _my(w: World) -> list[Drawn]:
    app = w.h.app
    mine = await app.services.initiatives.of_author(w.anna.id)
    asked = await app.services.requests.of_requester(w.anna.id)
    return [my_text(mine, asked, app.services.requests)]


@card("handlers.request_cards.staff_card", "handlers.request_cards.requester_view")
async def _request_cards(w: World) -> list[Drawn]:
    app = w.h.app
    service = app.services.requests
    out = []
    for request_id in w.request_ids:
        out.append(request_staff_card(await service.staff_card(request_id), app.settings))
        card = await service.requester_card(w.anna.id, request_id)
        out.append(requester_view(card, app.settings))
    return out


@card("handlers.request_cards.card_text")
async def _request_preview(w: World) -> list[Drawn]:
    app = w.h.app
    record = await app.services.requests.find(w.request_ids[0])
    draft = requests.RequestDraft(
        kind=record.kind,
        behalf_kind="tos",
        behalf_name=record.behalf_name,
        description=record.description,
        wanted_date=record.wanted_date.isoformat() if record.wanted_date else None,
        phone=record.phone,
        file_kind="document",
    )
    anna = await app.services.users.get(w.anna.id)
    requester = requester_line(app.services.requests.requester_for_staff(anna, record.phone))
    return [(request_card_text(request_view_of_draft(draft, "31.12.2026"), [requester]), None)]


@card(
    "handlers.registry_cards.tos_staff_card",
    "handlers.registry_cards.org_staff_card",
    "handlers.registry_cards.tos_public_card",
    "handlers.registry_cards.coverage_text",
)
async def _registry_cards(w: World) -> list[Drawn]:
    registry_service = w.h.app.services.registry
    out: list[Drawn] = []
    for kind, body_id in (("tos", w.tos_id), ("org", w.org_id)):
        people = await registry_service.holders(ADMIN_ID, kind, body_id)
        if kind == "tos":
            tos = await registry_service.get_tos(body_id)
            assert tos is not None
            out.append((tos_staff_card(tos, people), None))
        else:
            org = await registry_service.get_org(body_id)
            assert org is not None
            out.append((org_staff_card(org, people), None))
    for viewer in (w.chair, w.anna, w.boris):
        out.append((tos_public_card(await registry_service.view(viewer.id, w.tos_id)), None))
    out.append((coverage_text(await registry_service.coverage()), None))
    return out


@card(
    "handlers.competition_cards.competition_text",
    "handlers.competition_cards.application_line",
    "handlers.competition_cards.finished_text",
)
async def _competition_cards(w: World) -> list[Drawn]:
    service = w.h.app.services.competitions
    competition = await service.get(w.competition_id)
    out: list[Drawn] = [(competition_text(competition, service), None)]
    draft = competitions.CompetitionDraft(
        title=competition.title,
        organiser=competition.organiser,
        description=competition.description,
        eligible=competition.eligible,
        deadline=competition.deadline,
        results_at=competition.results_at,
        rules_url=competition.rules_url,
        max_grant=competition.max_grant,
    )
    out.append((competition_text(draft, service), None))
    for application in await service.applications(ADMIN_ID, w.competition_id):
        for brief in (True, False):
            out.append((application_line(application, brief=brief), None))
    # Finished, with more winners than the card names, each at its longest.
    finished = dataclasses.replace(competition, results_announced_at=w.h.clock.now())
    [winner] = [a for a in await service.applications(ADMIN_ID, w.competition_id) if a.result]
    out.append((finished_text(finished, [winner] * 40, service), None))
    return out


@card("handlers.competition_staff.results_preview_text")
async def _results_preview(w: World) -> list[Drawn]:
    service = w.h.app.services.competitions
    competition = await service.get(w.competition_id)
    [winner] = [a for a in await service.applications(ADMIN_ID, w.competition_id) if a.result]
    winners = [winner] * 40
    args = service._public_args(competition, winners)
    preview = competitions.ResultsPreview(competition, tuple(winners), 10**6, 10**6, args)
    return [(results_preview_text(preview), None)]


@card("handlers.events.event_text")
async def _event_cards(w: World) -> list[Drawn]:
    service = w.h.app.services.events
    out: list[Drawn] = []
    for viewer in (w.admin, w.chair, w.anna, w.boris):
        view = await service.view(viewer.id, w.event_id)
        out.append((event_text(view, service), None))
        draft = events.EventDraft(
            **{
                name: getattr(view.event, name)
                for name in ("title", "starts_at", "ends_at", "place", "organiser", "capacity")
            }
        )
        out.append((event_text(draft, service), None))
        # The one called off, with the longest reason.
        out.append((event_text(await service.view(viewer.id, w.called_off_id), service), None))
    return out


@card(
    "handlers.event_changes.change_intro",
    "handlers.event_changes.change_preview",
    "handlers.event_changes.cancel_intro",
    "handlers.event_changes.cancel_preview",
    "handlers.event_changes._now_line",
    "handlers.event_changes._who_is_told",
)
async def _event_change_forms(w: World) -> list[Drawn]:
    """The change and cancellation forms' intros and previews: the longest place as the new
    one, the longest reason (only what the functions read is given)."""
    service = w.h.app.services.events
    start = w.h.clock.now() + timedelta(days=3)
    place = w.text(events.TEXT_LIMITS["place"][1])
    change = events.EventChange(w.event_id, "both", start, start + timedelta(days=1), place)
    cancel = events.EventCancel(event_id=w.event_id, reason=w.text(events.REASON_LIMITS[1]))
    user = SimpleNamespace(id=ADMIN_ID)
    changing: Any = SimpleNamespace(service=service, user=user, draft=change)
    cancelling: Any = SimpleNamespace(service=service, user=user, draft=cancel)
    return [
        (await event_changes.change_intro(changing), None),
        (await event_changes.change_preview(changing), None),
        (await event_changes.cancel_intro(cancelling), None),
        (await event_changes.cancel_preview(cancelling), None),
    ]


@card("handlers.reports.digest_text", is_list=True)
async def _digest(w: World) -> list[Drawn]:
    reports = w.h.app.services.reports
    return [(digest_text(await reports.digest_now(ADMIN_ID), "u" * 32, reports.timezone), None)]


@card("handlers.outbox.render")
async def _outbox(w: World) -> list[Drawn]:
    app = w.h.app
    user = await app.services.users.get(ADMIN_ID)
    assert user is not None
    return [await outbox_render(user, app.services.outbox, app.services.broadcasts, app.settings)]


@card("handlers.workdays.days_off_view")
async def _days_off(w: World) -> list[Drawn]:
    """The most days off the town may have ahead, each with the longest name."""
    service = w.h.app.services.workdays
    day = service.today()
    while len(await service.days_off(ADMIN_ID)) < DAYS_OFF_AHEAD:
        day += timedelta(days=1)
        if WorkCalendar().is_official_working_day(day):
            await service.add_day_off(ADMIN_ID, day, "Д" * NAME_LIMIT)
    return [days_off_view(await service.days_off(ADMIN_ID))]


@card("handlers.staff_admin.staff_view")
async def _staff(w: World) -> list[Drawn]:
    return [staff_view(await w.h.app.services.staff.list_staff(ADMIN_ID))]


@card(
    "handlers.consent.notice_text",
    "handlers.common.language_choices",
    "handlers.common.staff_commands",
    "handlers.registry_import._import_help",
    "handlers.registry_admin._field_prompt",
)
async def _fixed_texts(w: World) -> list[Drawn]:
    app = w.h.app
    out: list[Drawn] = [
        (notice_text(app.settings), None),
        (language_choices(app.i18n), None),
        (staff_commands(Role.ADMIN), None),
        (_import_help(), None),
    ]
    for kind, fields in (("tos", TOS_FIELDS), ("org", ORG_FIELDS)):
        out += [(_field_prompt(kind, field), None) for field in fields]
    return out


OUTBOX_RENDERERS = {
    STAFF_CARD,
    REQUEST_CARD,
    REQUEST_CLOSED,
    DIGEST,
    DIGEST_CHART,
    ROLE_ACCEPTED,
    INVITE_ACCEPTED,
    events.ASK_ATTENDANCE,
}


async def outbox_renderers(w: World, locale: str) -> list[tuple[str, Drawn, int]]:
    """What the outbox draws at send time: the staff cards, the digest, the chart's caption."""
    drawn = w.h.app.sender.renderers
    assert set(drawn) == OUTBOX_RENDERERS, "draw the new outbox renderer here"
    now = w.h.clock.now()
    out = [(DIGEST_CHART, await drawn[DIGEST_CHART]({}, locale), CAPTION_LIMIT)]
    for initiative_id in w.initiative_ids:
        out.append((STAFF_CARD, await drawn[STAFF_CARD]({"id": initiative_id}, locale), TEXT_LIMIT))
    for request_id in w.request_ids:
        out.append(
            (REQUEST_CARD, await drawn[REQUEST_CARD]({"id": request_id}, locale), TEXT_LIMIT)
        )
        record = await w.h.app.services.requests.find(request_id)
        closed = {"id": request_id, "number": Number(REQUEST_NUMBER, record)}
        out.append((REQUEST_CLOSED, await drawn[REQUEST_CLOSED](closed, locale), TEXT_LIMIT))
    args = {"since": (now - timedelta(days=7)).isoformat(), "until": now.isoformat()}
    out.append((DIGEST, await drawn[DIGEST](args, locale), TEXT_LIMIT))
    # The notices that name who opened an invite (the name is looked up when sent).
    body = fill("🏘", BODY)
    notice = {"person": w.chair.id, "role": {"t": "TOS chair"}, "body": body}
    out.append((ROLE_ACCEPTED, await drawn[ROLE_ACCEPTED](notice, locale), TEXT_LIMIT))
    joined = {"person": w.chair.id}
    out.append((INVITE_ACCEPTED, await drawn[INVITE_ACCEPTED](joined, locale), TEXT_LIMIT))
    title = w.text(events.TEXT_LIMITS["title"][1])
    asked = {"event": w.event_id, "title": title, "when": "28.11.2026 18:00"}
    ask = events.ASK_ATTENDANCE
    out.append((ask, await drawn[ask](asked, locale), TEXT_LIMIT))
    return out


def check_markup(markup: InlineKeyboardMarkup | None) -> None:
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            assert button.text.strip(), "a button without a label"
            if button.callback_data is not None:
                size = len(button.callback_data.encode())
                assert 1 <= size <= CALLBACK_DATA_LIMIT, button.callback_data


@contextmanager
def in_language(w: World, locale: str) -> Iterator[None]:
    i18n = w.h.app.i18n
    with i18n.context(), i18n.use_locale(locale):
        yield


async def check_cards(w: World) -> None:
    """Each card in one message; a list in parts that each fit."""
    for locale in ("ru", "en"):
        for names, draw, is_list in DRAWINGS:
            with in_language(w, locale):
                drawn = await draw(w)
            assert drawn, names
            for text, markup in drawn:
                check_markup(markup)
                for part in split_html(text) if is_list else [text]:
                    fits(part)
        for template, (text, markup), limit in await outbox_renderers(w, locale):
            check_markup(markup)
            parts = split_html(text) if template == DIGEST else [text]
            for part in parts:
                fits(part, limit)


def test_every_renderer_is_drawn_or_named() -> None:
    found = renderers()
    covered = {name for names, _, _ in DRAWINGS for name in names} | set(HELPERS)
    assert found <= covered, f"draw these in tests/test_limits.py: {sorted(found - covered)}"
    assert covered <= found, f"gone from handlers/: {sorted(covered - found)}"


# -- 3. the real dispatcher --------------------------------------------------------------------

COMMANDS = ["/help", "/my", "/tos", "/events", "/competitions", "/initiatives", "/privacy"]
STAFF_COMMANDS = [
    "/registry",
    "/inbox",
    "/digest",
    "/report 2026",
    "/export",
    "/outbox",
    "/staff",
    "/daysoff",
    "/moderation",
]
# Buttons not pressed while exploring: they would end what the rest explores (consent,
# staff, a role, a TOS, a competition, the language) or only confirm such an end.
KEEP = re.compile(
    r"^(consent:(withdraw|confirm)|staff:|lang:|reg:(active|revoke_yes|import_go)|comp:withdraw"
    r"|compstaff:(close|publish)|tos:leave|outbox:cancel|event:cancel|initiative:unsupport|myreq:reopen)"
)
SORRY = ("Sorry, something went wrong", "Извините, что-то пошло не так")


class Alarms(logging.Handler):
    """Errors logged anywhere, and texts the one fitting place had to shorten."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.name == "bot.middlewares.fit":
            self.records.append(record)


async def explore(person: Person, commands: list[str]) -> None:
    """Each command, then each button under its answers (and /cancel after each press)."""
    for command in commands:
        answers = await person.send(command)
        for answer in answers:
            for label, data in answer.callback_data.items():
                if KEEP.match(data):
                    continue
                await person.press(label, on=answer)
                await person.send("/cancel")


async def check_screens(w: World) -> None:
    numbers = [f"2026-{seq}" for seq in range(1, 11)]
    residents = COMMANDS + [f"/initiative {n}" for n in numbers]
    staff = residents + STAFF_COMMANDS + [f"/request {n}" for n in numbers[:4]]
    for person in (w.anna, w.boris, w.chair):
        await explore(person, residents + [f"/request {n}" for n in numbers[:4]])
    for person in (w.admin, w.clerk):
        await explore(person, staff)
    await w.h.deliver()


@given(seed=seeds)
@example(seed=ASTRAL)
@example(seed=MARKUP)
# A whole town per example (some 15 s): the two worst cases above, and a share of the
# profile's examples (2 by default, 33 with HYPOTHESIS_PROFILE=thorough).
@settings(max_examples=max(1, settings.default.max_examples // 30))
async def test_every_card_list_and_notification_fits(seed: str) -> None:
    alarms = Alarms()
    logging.getLogger().addHandler(alarms)
    try:
        with tempfile.TemporaryDirectory() as folder:
            async with running(Path(folder), admin_ids=frozenset({ADMIN_ID})) as h:
                w = await World(h, seed).build()
                await check_cards(w)
                await check_screens(w)
                # The fake session refused whatever Telegram would: nothing failed.
                failed = await h.app.db.read.executor.fetch_all(
                    "SELECT template, last_error FROM outbox WHERE status = 'failed'"
                )
                assert not failed, failed
                templates = {
                    row[0]
                    for row in await h.app.db.read.executor.fetch_all(
                        "SELECT DISTINCT template FROM outbox WHERE template IS NOT NULL"
                    )
                }
                known = set(CATALOGS["en"]) | OUTBOX_RENDERERS
                assert templates <= known, templates - known
                assert not any(s in sent.text for sent in h.session.sent for s in SORRY)
    finally:
        logging.getLogger().removeHandler(alarms)
    assert not alarms.records, [r.getMessage() for r in alarms.records]
