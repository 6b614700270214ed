"""How the report names kinds of support, directions and outcomes: in a sentence, in a
table's heading and in a chart's legend alike."""

from __future__ import annotations

from bot.services.errors import N_
from bot.services.status_groups import INITIATIVE_OUTCOMES

# How the text names each kind of support and direction inside a sentence.
KIND_PHRASES = {
    "consultation": N_("methodological consultations"),
    "event": N_("help organising events"),
    "transport": N_("transport provision"),
    "information": N_("information support"),
    "premises": N_("provision of premises"),
    "other": N_("other matters"),
}
DIRECTION_PHRASES = {
    "improvement": N_("improvement and greening"),
    "sport": N_("healthy lifestyle and sport"),
    "festivals": N_("festivals and actions"),
    "memorials": N_("memorials and history"),
    "other": N_("other directions"),
}
# What winning projects are aimed at (the seed's list: «направленные на: …»).
DIRECTION_AIMS = {
    "improvement": N_("improvement, greening and the look of the territory"),
    "sport": N_("a healthy lifestyle, physical culture and sport"),
    "festivals": N_("festivals, celebrations and actions"),
    "memorials": N_("memorials and the memory of history"),
    "other": N_("other aims"),
}
# The initiatives table's columns: the report's outcomes (status_groups), in this order.
OUTCOME_COLUMNS = {
    "done": N_("Carried out"),
    "in_progress": N_("In progress"),
    "accepted": N_("Accepted, not started"),
    "rejected": N_("Rejected"),
    "merged": N_("Merged with similar ones"),
    "pending": N_("Not yet decided"),
}
assert tuple(OUTCOME_COLUMNS) == tuple(INITIATIVE_OUTCOMES)
OUTCOME_PARTS = {
    "in_progress": N_("in progress — {count}"),
    "accepted": N_("accepted, not started yet — {count}"),
    "rejected": N_("rejected — {count}"),
    "merged": N_("merged with similar ones — {count}"),
    "pending": N_("not yet decided — {count}"),
}
