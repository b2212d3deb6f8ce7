"""One palette for every status word orgkit shows: heatmaps, notebook tables, the OU tree and the CLI.

Colour-blind safe: the colours come from Paul Tol's qualitative schemes (https://personal.sron.nl/~pault/), which
stay apart under the common colour-vision deficiencies; good is blue (never green against red), the gaps run
sand → orange → vermillion → wine → dark brown, so *lightness* alone also orders them. Statuses that sit side by
side in one vocabulary (administrator / org_member / invited_member, standalone / suspended, partial /
not_delivering / not_logging) differ in lightness as well as hue. Imports nothing from orgkit.
"""

from __future__ import annotations

#: the widest figure: an image of at most 968 px at 100 dpi is shown at its own size in JupyterLab's output area
#: (1400x1000, file browser open, less a margin), so an 8 or 9 pt label reads as such
FIGURE_WIDTH_IN = 9.4

#: status -> fill colour. Good (blues), partly good (sand, light orange), bad (orange to dark brown), unknown (grey),
#: not applicable (near white). ``not_delivering`` (logging, but delivery fails) sits between partial and not_logging.
STATUS_COLOURS: dict[str, str] = {
    "covered": "#4477aa",         # CloudTrail: recorded
    "administrator": "#222255",   # GuardDuty: the administrator itself (darker than its members)
    "org_member": "#4477aa",      # GuardDuty: member through AWS Organizations
    "invited_member": "#99ddff",  # GuardDuty: member by invitation (lighter)
    "partial": "#ddcc77",         # CloudTrail: read or write only, or sources excluded; GuardDuty: a required plan off
    "standalone": "#eebb99",      # GuardDuty: enabled, nobody watching centrally
    "pending": "#ddcc77",         # GuardDuty: invited or created, not enabled
    "not_delivering": "#ee7733",  # CloudTrail: logging, but delivery fails
    "not_logging": "#cc3311",     # CloudTrail: trails apply, none logging
    "suspended": "#aa3377",       # GuardDuty: detector disabled
    "none": "#662506",            # nothing there
    "unknown": "#999999",         # could not read
    "not_applicable": "#f2f2f2",  # region not enabled
    # tamper verdicts (orgkit scp tamper, notebook 02): protected like covered, the exception lighter, exposed like
    # not_logging, not_protectable darkest (like none: nothing can protect it)
    "protected": "#4477aa",
    "guarded_by_service": "#4477aa",
    "protected_except": "#99ddff",
    "exposed": "#cc3311",
    "not_protectable": "#662506",
}

#: a status outside the vocabulary: visible, never silently merged with another
OTHER = "#7b3294"

#: what each status means for a reader: good, warn (partly good), bad, unknown, n/a; or neutral (no verdict)
TIERS: dict[str, str] = {
    "covered": "good", "administrator": "good", "org_member": "good", "invited_member": "good",
    "done_in_snapshot": "good", "to_do": "warn", "no_call": "na", "skipped": "na",
    "ok": "good", "managed": "good", "protected": "good", "done": "good", "Enabled": "good",
    "partial": "warn", "standalone": "warn", "pending": "warn", "warning": "warn",
    "unmanaged": "warn", "missing": "warn", "info": "warn",
    "not_delivering": "bad", "not_logging": "bad", "suspended": "bad", "none": "bad", "delivery_error": "bad",
    "error": "bad", "failed": "bad", "BLOCKED": "bad",
    "unknown": "unknown",
    "not_applicable": "na", "exempt": "na",
    # orgkit scp tamper verdicts (orgkit.scp.tamper.VERDICTS): an exception for named principals or GuardDuty's own
    # refusal still protects; exposed is bad, and not_protectable (a trail bucket or key in the management account,
    # which no SCP or RCP can reach) is bad too, worse than exposed
    "protected_except": "good", "guarded_by_service": "good", "exposed": "bad", "not_protectable": "bad",
    # orgkit diff: what a change does to coverage and protection
    "regression": "bad", "improvement": "good", "neutral": "na",
    # SCP decisions: good or bad depends on the question (a denied StopLogging protects, a denied CreateBucket
    # may block work), so they are shown neutrally, never in a verdict's colour
    "allow": "neutral", "explicit_deny": "neutral", "implicit_deny": "neutral", "conditional": "neutral",
}

#: the tiers that are verdicts (a colour says good or bad); "neutral" words are shown without one
VERDICT_TIERS = ("good", "warn", "bad", "unknown", "na")

#: orgkit diff's severities, as fills (the change tree, notebook 04): the palette's good blue, its vermillion, its
#: orange for an effect that cannot be known before apply (it may be a regression), grey; a node without changes near
#: white
SEVERITY_COLOURS: dict[str, str] = {"regression": STATUS_COLOURS["not_logging"],
                                    "unknown": STATUS_COLOURS["not_delivering"],
                                    "improvement": STATUS_COLOURS["covered"], "neutral": "#bbbbbb"}
UNCHANGED = "#eeeeee"

#: the words drawn inside heatmap cells (short enough for a cell)
SHORT: dict[str, str] = {"not_applicable": "n/a", "administrator": "admin", "invited_member": "invited",
                         "not_delivering": "no delivery", "not_logging": "stopped", "org_member": "org",
                         "covered": "", "standalone": "standalone", "suspended": "suspended"}


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, OTHER)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""
    h = fill.lstrip("#")
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


def css(status: str) -> str:
    """The CSS of a table cell showing ``status`` (background from the palette, readable text), or ''."""
    if status not in STATUS_COLOURS:
        return ""
    fill = STATUS_COLOURS[status]
    return f"background-color: {fill}; color: {text_colour(fill)}"


def literal(text) -> str:
    """``text`` for a figure (matplotlib): shown as written. Every ``$`` is escaped, so a name such as ``$\\alpha$``
    is never read as mathtext (which would draw a Greek letter, or fail on a malformed expression)."""
    return str(text).replace("$", r"\$")
