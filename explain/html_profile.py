"""HTML for the ratings themselves: items rated severely below typical (with referrals), and the
functional profile by domain and region (an estimate, with its basis)."""

from __future__ import annotations

from explain.context import Context
from explain.html_parts import e
from explain.profile_text import months


def item_flags_html(ctx: Context) -> str:
    flags = ctx.plan.item_flags
    if not flags:
        return ""
    rows = "".join(
        f"<li><code>{e(f.item)}</code> ({e(f.region)}, {e(f.domain.replace('_', ' '))}): "
        f"{e(f.text)} - rated <strong>{f.value}</strong>"
        + (f"; consider: {e(f.referral_name)}" if f.referral_name else "") + "</li>"
        for f in flags)
    return ('<section aria-labelledby="items-h"><h2 id="items-h">Items rated severely below '
            "typical</h2><p>Shown whatever their region's band: one function can matter on its "
            f"own.</p><ul>{rows}</ul></section>")


def profile_html(ctx: Context) -> str:
    profile = ctx.plan.profile
    if profile is None:
        return ""
    rows = []
    for stage in (*profile.domains, *profile.regions):
        if stage.estimate_months is None:
            value, basis = "no estimate", stage.reason or ""
        else:
            value = f"about {months(stage.estimate_months)}"
            basis = (f"{len(stage.known_items)} of {len(stage.basis_items)} due items: "
                     + ", ".join(stage.known_items))
        rows.append(f"<tr><th scope=\"row\">{e(stage.name.replace('_', ' '))}</th>"
                    f"<td>{e(value)}</td><td>{e(basis)}</td></tr>")
    not_due = ""
    if ctx.plan.not_due_items:
        not_due = ("<p>Not due at this age (neither known nor missing): "
                   + e(", ".join(ctx.plan.not_due_items)) + ".</p>")
    return ('<section aria-labelledby="profile-h"><h2 id="profile-h">Functional profile '
            "(an estimate)</h2><p>The functional stage each kind of function suggests, with its "
            "basis; no rule withholds work for the adults on it.</p>"
            '<table class="profile"><thead><tr><th scope="col">Domain or region</th>'
            '<th scope="col">Estimate</th><th scope="col">Basis</th></tr></thead><tbody>'
            + "".join(rows) + f"</tbody></table>{not_due}</section>")
