"""HTML for the ratings themselves: items rated severely below typical (with referrals), and the
functional profile by domain and region (an estimate, with its basis). Rendered from
templates/profile.html (Jinja2, autoescaping on)."""

from __future__ import annotations

from explain.context import Context
from explain.html_parts import macro
from explain.profile_text import months


def item_flags_html(ctx: Context) -> str:
    return str(macro("profile.html", "item_flags")(ctx.plan.item_flags))


def profile_html(ctx: Context) -> str:
    profile = ctx.plan.profile
    if profile is None:
        return ""
    stages = []
    for stage in (*profile.domains, *profile.regions):
        if stage.estimate_months is None:
            value, basis = "no estimate", stage.reason or ""
        else:
            value = f"about {months(stage.estimate_months)}"
            basis = (f"{len(stage.known_items)} of {len(stage.basis_items)} due items: "
                     + ", ".join(stage.known_items))
        stages.append((stage.name.replace("_", " "), value, basis))
    return str(macro("profile.html", "profile")(stages, ctx.plan.not_due_items))
