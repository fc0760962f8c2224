"""Handouts: a plain page for each adult and setting who carries part of the plan.

`groundwork assess CASE --format handout` (text) or `--format handout-html` (a print-ready page
per adult). Each page says what to do this week, when, for how long, why in one sentence and what
to do in each state, built from the catalog's descriptions and the plan's state guidance: no
scores, no rule ids, no jargon. A school page and a residential shift page carry a word for
those settings. The therapist's own sessions are not a handout; each page names them in one line.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from markupsafe import Markup

from engine.plan import Plan, Recommendation
from explain.html_parts import ENV

# Why, in one plain sentence, by the kind of work (the phase of its target region, or support).
WHY = {
    "regulate": "Short, steady, repeated moments like this help the body calm down and stay calm; "
                "they work best many times a day, with a calm adult.",
    "relate": "Safe, enjoyable time with a trusted adult builds trust and connection.",
    "reason": "This builds words, thinking and planning, now that calmer moments make room for it.",
    "support": "This helps the adults around the child keep things calm, predictable and safe.",
}
ROUTINE_WORDS = {"waking": "on waking", "meals": "at meals", "transitions": "when moving between "
                 "activities", "bedtime": "at bedtime", "school_day": "at set points of the school day"}
STATE_TITLES = {"calm": "When calm or alert", "alarm": "When upset or on edge (alarm)",
                "fear": "When frightened or overwhelmed (fear)",
                "dissociated": "When switched off, frozen or far away (dissociated)"}
ROLE_WORDS = {"caregiver": "carer", "teacher": "school staff", "residential_staff": "residential staff",
              "mentor": "mentor", "self": "you"}
SETTING_WORDS = {"home": "at home", "school": "at school", "residential": "in residential care",
                 "clinic": "at the clinic"}
SETTING_NOTES = {
    "school": "For school staff: fit these into the school day (on arrival, after breaks, before "
              "demanding lessons) and share how the day went with home.",
    "residential": "Shift handover: go through this page at every shift change, so that every "
                   "shift does the same things in the same way.",
    "home": "At home: fit these into what already happens each day; short and often is better "
            "than long and rare.",
    "clinic": "In the clinic.",
}


@dataclass
class Item:
    name: str
    what: str
    when: str
    how_long: str
    why: str


@dataclass
class Page:
    title: str
    setting: str
    who: str
    note: str
    items: list[Item] = field(default_factory=list)
    states: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]] = \
        field(default_factory=list)  # (title, do, avoid, activity names, lead)
    therapist: tuple[str, ...] = ()


def pages(plan: Plan, kb) -> list[Page]:
    """One page per adult (or unnamed staff team) and setting, in the order of the settings."""
    recs = [r for phase in plan.phases for r in phase.recommendations]
    names = {r.intervention: r.name for r in recs}
    keyed: dict[tuple[str, str], list[tuple[Recommendation, str]]] = {}
    therapist: dict[str, list[str]] = {}
    for rec in recs:
        for entry in rec.delivery:
            if entry.professional:
                therapist.setdefault(entry.setting, []).append(rec.name)
                continue
            who = entry.adults[0] if entry.adults else entry.delivered_by
            keyed.setdefault((entry.setting, who), []).append((rec, entry.delivered_by))
    out = []
    for (setting, who), items in sorted(keyed.items(), key=lambda kv: _setting_order(kv[0][0])):
        role = ROLE_WORDS.get(items[0][1], items[0][1].replace("_", " "))
        named = who if who not in ROLE_WORDS else ""
        where = SETTING_WORDS.get(setting, f"at {setting}")
        title = ("For you: what to practise" if role == "you" else
                 f"For the {role} {named} {where}" if named else
                 f"For the {role} on each shift {where}" if setting == "residential" else
                 f"For the {role} {where}")
        note = SETTING_NOTES.get(setting, "")
        if any(e.find_person for rec, _ in items for e in rec.delivery if e.setting == setting):
            note += (" No key adult is named here yet: until one is, whoever is on duty does "
                     "this, and the therapist is helping to name one.")
        page = Page(title=title, setting=setting, who=role, note=note.strip(),
                    therapist=tuple(dict.fromkeys(therapist.get(setting, []))))
        for rec, _ in items:
            page.items.append(_item(rec, kb, setting))
        mine = {rec.intervention for rec, _ in items}
        for guidance in plan.state_guidance:
            fitting = tuple(names[a] for a in guidance.activities if a in mine)
            page.states.append((STATE_TITLES[guidance.state], guidance.do, guidance.avoid,
                                fitting, guidance.lead))
        out.append(page)
    return out


def _setting_order(setting: str) -> int:
    order = ("home", "school", "residential", "clinic")
    return order.index(setting) if setting in order else len(order)


# The routines that happen in each setting.
SETTING_ROUTINES = {"school": ("meals", "transitions", "school_day"),
                    "home": ("waking", "meals", "transitions", "bedtime"),
                    "residential": ("waking", "meals", "transitions", "bedtime")}


def _item(rec: Recommendation, kb, setting: str) -> Item:
    iv = kb.interventions[rec.intervention]
    dose = rec.dose
    frequency = dose.frequency
    if dose.period == "day":  # a daily dose is shared between the places that carry it
        places = [e.setting for e in rec.delivery if e.setting != "clinic"] or [setting]
        frequency = max(1, -(-dose.frequency // len(places)))
    times = "once" if frequency == 1 else "twice" if frequency == 2 else f"{frequency} times"
    period = "a day" if dose.period == "day" else "a week"
    when = "once, this week" if rec.once else f"{times} {period}"
    routines = [r for r in rec.routines if r in SETTING_ROUTINES.get(setting, (r,))]
    if routines:
        when += ", " + ", ".join(ROUTINE_WORDS.get(r, r) for r in routines)
    phase = "support" if rec.track == "support" else kb.phase_of_region(rec.target_region).value
    return Item(name=rec.name, what=iv.description or rec.name, when=when,
                how_long=f"about {dose.minutes} minutes each time", why=WHY[phase])


def render_handout_text(plan: Plan, kb) -> str:
    out: list[str] = []
    every = pages(plan, kb)
    if not every:
        return ("No handout: nothing in this plan is carried by a carer, teacher or staff "
                "member yet.\n")
    for number, page in enumerate(every, 1):
        out += [page.title.upper(), f"Page {number} of {len(every)}. This week's plan.", ""]
        out += _wrap(page.note, "")
        out.append("")
        out.append("WHAT TO DO THIS WEEK")
        for index, item in enumerate(page.items, 1):
            out.append(f"{index}. {item.name}")
            out += _wrap(f"What: {item.what}", "   ")
            out += _wrap(f"When: {item.when}; {item.how_long}.", "   ")
            out += _wrap(f"Why: {item.why}", "   ")
        out.append("")
        out.append("WHAT TO DO IN EACH STATE")
        for title, do, avoid, fitting, lead in page.states:
            out.append(title + (" (most likely now: start here)" if lead else ""))
            out += [line for text in do for line in _wrap(f"Do: {text}", "  ")]
            out += [line for text in avoid for line in _wrap(f"Avoid: {text}", "  ")]
            if fitting:
                out += _wrap("Activities that fit: " + ", ".join(fitting) + ".", "  ")
        if page.therapist:
            out.append("")
            out += _wrap("Your therapist also meets with you for: " + ", ".join(page.therapist)
                         + ".", "")
        out += ["", "Questions or worries: talk to the therapist. If anyone is in danger, follow "
                "your safety plan and call for help.", "", "-" * 72, ""]
    return "\n".join(out).rstrip("-\n") + "\n"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=78, initial_indent=indent,
                         subsequent_indent=indent + "  ") if text else []


def render_handout_html(plan: Plan, kb) -> str:
    return ENV.get_template("handout.html").render(
        title=f"Handouts for client {plan.client_id}", pages=pages(plan, kb),
        css=Markup(HANDOUT_CSS))


HANDOUT_CSS = """
body { font-family: system-ui, sans-serif; font-size: 12pt; line-height: 1.45; margin: 0 auto;
       max-width: 46rem; padding: 1rem; color: #111; }
section.page { break-after: page; page-break-after: always; padding-bottom: 1rem; }
section.page:last-of-type { break-after: auto; page-break-after: auto; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1rem 0 .3rem; border-bottom: 1px solid #999; }
h3 { font-size: 1rem; margin: .6rem 0 .1rem; }
.note { background: #f3f3f3; padding: .4rem .6rem; }
.lead { font-weight: bold; }
dl { margin: 0 0 .5rem; } dt { font-weight: bold; } dd { margin: 0 0 .2rem 1rem; }
@media print { body { max-width: none; padding: 0; } .note { border: 1px solid #999; } }
"""
