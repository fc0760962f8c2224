"""Items that matter on their own: a single function rated severely below typical is shown, even
when its region's mean is typical, with the referral the instrument attaches to it (CLINICAL.md
section 7). Also the informant checks: ratings to reconcile, self-reports set aside."""

from __future__ import annotations

from dsl.checked import CheckedKnowledgeBase
from engine import plan as p
from engine.ratings import ItemRating


def severe(rating: ItemRating, kb: CheckedKnowledgeBase) -> bool:
    return rating.known and rating.value == kb.instrument.max_value


def item_flags(ratings: tuple[ItemRating, ...], kb: CheckedKnowledgeBase) -> tuple[p.ItemFlag, ...]:
    instrument = kb.instrument
    out = []
    for rating in ratings:
        if not severe(rating, kb):
            continue
        item = rating.item
        referral = instrument.referral(item.referral) if item.referral else None
        message = (f"{item.text}: rated {rating.value}, severely below what is typical for age, "
                   f"whatever the {item.region} band.")
        if referral is not None:
            message += f" Consider a referral: {referral.name}."
        out.append(p.ItemFlag(
            item=item.id, text=item.text, region=item.region, domain=item.domain,
            value=rating.rated, informants=tuple(sorted({who for who, v in rating.given if v is not None})),
            referral=referral.id if referral else None,
            referral_name=referral.name if referral else None, message=message))
    return tuple(out)


def referrals(ratings: tuple[ItemRating, ...], kb: CheckedKnowledgeBase) -> frozenset[str]:
    """The referrals the severely rated items carry: the `referrals` fact rules test."""
    return frozenset(r.item.referral for r in ratings if r.item.referral and severe(r, kb))


def informant_flags(ratings: tuple[ItemRating, ...], kb: CheckedKnowledgeBase) -> list[p.Flag]:
    instrument = kb.instrument
    flags = []
    apart = [r.item.id for r in ratings if r.due and r.spread >= instrument.disagreement_points]
    if apart:
        flags.append(p.Flag(
            code="RATINGS_TO_RECONCILE", severity="warning", rules=(),
            message=f"Informants' ratings differ by {instrument.disagreement_points} points or "
                    f"more for {', '.join(apart)}: reconcile them (ask about the settings and "
                    "times each informant sees) before relying on these items; the plan uses the "
                    "higher rating meanwhile."))
    aside = [r.item.id for r in ratings if r.set_aside]
    if aside:
        years = instrument.self_report_from_months // 12
        flags.append(p.Flag(
            code="SELF_REPORT_SET_ASIDE", severity="warning", rules=(),
            message=f"Only a self-report rates {', '.join(aside)}; self-report alone is used from "
                    f"{years} years: these items count as unknown until a carer, teacher or "
                    "clinician rates them."))
    return flags
