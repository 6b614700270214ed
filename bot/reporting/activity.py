"""The first question's answer, part one: organisations and the support they ask for, TOS
and their coverage, competitions and what the winners are about, events, engagement."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.reporting.labels import (
    DIRECTION_AIMS,
    KIND_PHRASES,
)
from bot.reporting.model import Bullets
from bot.reporting.words import (
    DASH,
    at_end,
    cap,
    competition_name,
    day_text,
    listing,
    month_in,
    num,
    quote,
    roubles,
    share,
    when,
)
from bot.reporting.writer import (
    PROJECTS_NAMED,
    Writer,
)
from bot.services.report_figures import CompetitionFigures, Figures
from bot.services.requests import KINDS
from bot.services.when import town_time


class Activity(Writer):
    def organisations(self) -> None:
        now = self.now
        sentences = []
        count = now.organisations_total
        if count:
            sentences.append(
                ngettext(
                    "In the town, {count} public organisation is active{was}.",
                    "In the town, {count} public organisations are active{was}.",
                    count,
                ).format(count=num(count), was=self.was(lambda f: f.organisations_total))
            )
        total = now.requests_total
        if total:
            parts = [
                _("{what} — {count}").format(
                    what=_(KIND_PHRASES[kind]), count=num(now.requests_of(kind))
                )
                for kind in KINDS
                if now.requests_of(kind)
            ]
            sentences.append(
                ngettext(
                    "Public organisations, TOS and residents turn to the town hall for support: "
                    "{when}, {count} request came in{was}, including: {parts}.",
                    "Public organisations, TOS and residents turn to the town hall for support: "
                    "{when}, {count} requests came in{was}, including: {parts}.",
                    total,
                ).format(
                    when=when(self.r.period),
                    count=num(total),
                    parts=listing(parts),
                    was=self.was(lambda f: f.requests_total),
                )
            )
        else:
            sentences.append(
                _("{opening}, no support requests came in through the bot.").format(
                    opening=cap(when(self.r.period))
                )
            )
        self.para(*sentences)

    def tos(self) -> None:
        now, period = self.now, self.r.period
        if not now.tos:
            self.para(
                _("{as_of}, the town has no TOS in the bot's registry.").format(
                    as_of=cap(at_end(period, self.today))
                )
            )
            return
        sentences = [
            ngettext(
                "{as_of}, {count} TOS is registered in the town{was}.",
                "{as_of}, {count} TOS are registered in the town{was}.",
                now.tos,
            ).format(
                as_of=cap(at_end(period, self.today)),
                count=num(now.tos),
                was=self.was(lambda f: f.tos, registry=True),
            )
        ]
        residents = now.tos_residents
        coverage = now.coverage
        if coverage is not None and self.r.population:
            sentences.append(
                ngettext(
                    "{count} resident lives on their territories, {share} of the town's "
                    "population{was}.",
                    "{count} residents live on their territories, {share} of the town's "
                    "population{was}.",
                    residents,
                ).format(
                    count=num(residents),
                    share=share(coverage),
                    was=self.was(lambda f: f.coverage, share, registry=True),
                )
            )
            sentences.append(
                ngettext(
                    "The population, {count} person, is taken from the bot's settings "
                    "(MUNICIPALITY_POPULATION).",
                    "The population, {count} people, is taken from the bot's settings "
                    "(MUNICIPALITY_POPULATION).",
                    self.r.population,
                ).format(count=num(self.r.population))
            )
        else:
            sentences.append(
                ngettext(
                    "{count} resident lives on their territories.",
                    "{count} residents live on their territories.",
                    residents,
                ).format(count=num(residents))
            )
            sentences.append(
                _(
                    "Their share of the population is not given: the town's population is not "
                    "set in the bot's settings (MUNICIPALITY_POPULATION)."
                )
            )
        before = self.before
        if before is not None and before.tos:
            sentences.append(self.growth(before))
        self.para(*sentences)

    def growth(self, before: Figures) -> str:
        """Whether the movement grows, as the figures say."""
        now = self.now
        span = _("the year") if self.r.period.single_year is not None else _("the period")
        change = now.tos - before.tos
        if change > 0:
            text = ngettext(
                "The movement is growing: over {span} the number of TOS rose by {count}, "
                "from {before} to {after}",
                "The movement is growing: over {span} the number of TOS rose by {count}, "
                "from {before} to {after}",
                change,
            )
        elif change < 0:
            text = ngettext(
                "Over {span} the number of TOS fell by {count}, from {before} to {after}",
                "Over {span} the number of TOS fell by {count}, from {before} to {after}",
                -change,
            )
        else:
            text = _("Over {span} the number of TOS did not change")
        text = text.format(
            span=span, count=num(abs(change)), before=num(before.tos), after=num(now.tos)
        )
        if now.coverage is not None and before.coverage is not None:
            text += _(", the share of the population they cover from {before} to {after}").format(
                before=share(before.coverage), after=share(now.coverage)
            )
        return text + "."

    def competitions(self) -> None:
        now, tz = self.now, self.r.timezone
        if not now.competitions:
            return
        for c in now.competitions:
            title, announced = competition_name(c.title), month_in(c.opens_at, tz)
            sentences = []
            only_tos = c.tos_applied and not (c.ngo_applied or c.group_applied)
            if only_tos and c.tos_applied == now.tos and now.tos > 1:
                sentences.append(
                    ngettext(
                        "All {count} TOS took part in the competition {title} announced {when}.",
                        "All {count} TOS took part in the competition {title} announced {when}.",
                        c.tos_applied,
                    ).format(count=num(c.tos_applied), title=title, when=announced)
                )
            elif only_tos and c.tos_applied == now.tos:
                sentences.append(
                    _(
                        "The town's only TOS took part in the competition {title} announced {when}."
                    ).format(title=title, when=announced)
                )
            elif c.applications:
                sentences.append(self.applications(c, title, announced))
            else:
                sentences.append(
                    _(
                        "No applications were submitted to the competition {title} "
                        "announced {when}."
                    ).format(title=title, when=announced)
                )
            if c.winners and c.awarded:
                sentences.append(
                    ngettext(
                        "{count} project won; {amount} was awarded for it.",
                        "{count} projects won; {amount} was awarded for them.",
                        c.winners,
                    ).format(count=num(c.winners), amount=roubles(c.awarded))
                )
            elif c.winners:
                sentences.append(
                    ngettext("{count} project won.", "{count} projects won.", c.winners).format(
                        count=num(c.winners)
                    )
                )
            elif c.applications and not c.decided:
                sentences.append(_("The results have not been announced yet."))
            self.para(*sentences)
        self.winning_aims()
        rows = [
            [
                c.title,
                num(c.tos_applied),
                num(c.ngo_applied),
                num(c.group_applied),
                num(c.winners),
                num(c.awarded),
            ]
            for c in now.competitions
        ]
        if len(rows) > 1:
            rows.append(
                [
                    _("Total"),
                    num(sum(c.tos_applied for c in now.competitions)),
                    num(sum(c.ngo_applied for c in now.competitions)),
                    num(sum(c.group_applied for c in now.competitions)),
                    num(now.winners),
                    num(now.awarded),
                ]
            )
        self.table(
            _("Competitions"),
            [
                _("Competition"),
                _("Applications from TOS"),
                _("Applications from NGOs"),
                _("Applications from initiative groups"),
                _("Winners"),
                _("Awarded, roubles"),
            ],
            rows,
            total=len(rows) > 1,
        )

    def applications(self, c: CompetitionFigures, title: str, announced: str) -> str:
        """«In the competition …, 20 applications: from TOS — 12, from NGOs — 8.»"""
        kinds = [
            (_("from TOS — {count}"), _("from TOS"), c.tos_applied),
            (_("from NGOs — {count}"), _("from NGOs"), c.ngo_applied),
            (_("from initiative groups — {count}"), _("from initiative groups"), c.group_applied),
        ]
        present = [(counted, whom, n) for counted, whom, n in kinds if n]
        if len(present) == 1:
            return ngettext(
                "{count} application {whom} was submitted to the competition {title} "
                "announced {when}.",
                "{count} applications {whom} were submitted to the competition {title} "
                "announced {when}.",
                c.applications,
            ).format(count=num(c.applications), whom=present[0][1], title=title, when=announced)
        parts = [counted.format(count=num(n)) for counted, _w, n in present]
        return ngettext(
            "{count} application was submitted to the competition {title} announced "
            "{when}: {parts}.",
            "{count} applications were submitted to the competition {title} announced "
            "{when}: {parts}.",
            c.applications,
        ).format(count=num(c.applications), title=title, when=announced, parts=listing(parts))

    def winning_aims(self) -> None:
        projects = [p for c in self.now.competitions for p in c.projects]
        if not projects:
            return
        items = []
        codes = [d for d in DIRECTION_AIMS if any(p.direction == d for p in projects)]
        codes += sorted({p.direction for p in projects} - set(DIRECTION_AIMS))
        for code in codes:
            mine = [p.project for p in projects if p.direction == code]
            aim = _(DIRECTION_AIMS[code]) if code in DIRECTION_AIMS else code
            named = listing([quote(p) for p in mine[:PROJECTS_NAMED]])
            items.append(
                ngettext(
                    "{aim} — {count} project ({names})",
                    "{aim} — {count} projects ({names})",
                    len(mine),
                ).format(aim=aim, count=num(len(mine)), names=named)
            )
        self.para(_("The winning projects are aimed at:"))
        self.add(Bullets([*(item + ";" for item in items[:-1]), items[-1] + "."]))

    def events(self) -> None:
        now = self.now
        if not now.events_held and not now.events_cancelled:
            return
        text = ngettext(
            "{opening}, {count} event was held{was}",
            "{opening}, {count} events were held{was}",
            now.events_held,
        ).format(
            opening=cap(when(self.r.period)),
            count=num(now.events_held),
            was=self.was(lambda f: f.events_held),
        )
        if now.events_joint:
            text += _(", {count} of them jointly with the town hall{was}").format(
                count=num(now.events_joint), was=self.was(lambda f: f.events_joint)
            )
        if now.events_attended:
            text += ngettext(
                "; {count} person took part in them, as the organisers marked{was}",
                "; {count} people took part in them, as the organisers marked{was}",
                now.events_attended,
            ).format(count=num(now.events_attended), was=self.was(lambda f: f.events_attended))
        if now.events_signed_up:
            text += ngettext(
                "; {count} person signed up for them in the bot",
                "; {count} people signed up for them in the bot",
                now.events_signed_up,
            ).format(count=num(now.events_signed_up))
        sentences = [text + "."]
        if now.events_cancelled:
            sentences.append(
                ngettext(
                    "{count} more event was cancelled.",
                    "{count} more events were cancelled.",
                    now.events_cancelled,
                ).format(count=num(now.events_cancelled))
            )
        self.para(*sentences)
        self.events_table()

    def events_table(self) -> None:
        """Each event with its attendance: as the organiser marked it after the event (a
        dash where it is not marked), beside the people signed up in the bot; a cancelled
        event as such. The marked figures add up to the text's «took part»."""
        rows = [
            [
                e.title,
                day_text(town_time(e.starts_at, self.r.timezone).date()),
                _("yes") if e.joint else _("no"),
                num(e.going),
                _("cancelled") if e.cancelled else DASH if e.attended is None else num(e.attended),
            ]
            for e in self.now.events
        ]
        self.table(
            _("Events and attendance"),
            [
                _("Event"),
                _("Date"),
                _("Jointly with the town hall"),
                _("Signed up in the bot"),
                _("Came, as the organiser marked"),
            ],
            rows,
            first=3,
        )

    def engagement(self) -> None:
        now, period = self.now, self.r.period
        sentences = []
        if now.people:
            sentences.append(
                ngettext(
                    "{opening}, {count} resident{was} took part in the town hall's work through "
                    "the bot, submitting initiatives and requests, supporting initiatives and "
                    "signing up for events.",
                    "{opening}, {count} residents{was} took part in the town hall's work through "
                    "the bot, submitting initiatives and requests, supporting initiatives and "
                    "signing up for events.",
                    now.people,
                ).format(
                    opening=cap(when(period)),
                    count=num(now.people),
                    was=self.was(lambda f: f.people),
                )
            )
        if now.supporters:
            sentences.append(
                ngettext(
                    "{count} person supported initiatives{was}.",
                    "{count} people supported initiatives{was}.",
                    now.supporters,
                ).format(count=num(now.supporters), was=self.was(lambda f: f.supporters))
            )
        if now.tos_members:
            sentences.append(
                ngettext(
                    "{as_of}, {count} resident is a member of a TOS through the bot{was}.",
                    "{as_of}, {count} residents are members of a TOS through the bot{was}.",
                    now.tos_members,
                ).format(
                    as_of=cap(at_end(period, self.today)),
                    count=num(now.tos_members),
                    was=self.was(lambda f: f.tos_members),
                )
            )
        self.para(*sentences)
