"""Compare two periods: the changes and their confidence intervals.

Without parameters the page shows the latest ``compare`` snapshot (the first
half of the analysed months against the second). With ``before`` and
``after`` (each ``YYYY-MM..YYYY-MM``, both ends included, or one ``YYYY-MM``)
it runs the same comparison on the chosen months, with the seed of the
latest snapshot, through :func:`web.jobs.compare_windows`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request

from graph.errors import InvalidInput
from web import jobs
from web import policy
from web.results import latest
from web.store import get_store

bp = Blueprint("compare", __name__)

PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:\.\.(\d{4})-(\d{2}))?$")
#: The longest period accepted, in months.
MAX_MONTHS = 240
#: Digits kept for figures in the JSON.
DIGITS = 6


@bp.get("/compare")
def page() -> str:
    """Two periods side by side: E-I index per team and liaison per unit, with 95 % intervals."""
    report = comparison()
    scales = {name: extent(report[name]) for name in ("ei", "liaison")}
    return render_template("compare/page.html", report=report, scales=scales)


@bp.get("/api/compare")
def api_compare():  # noqa: ANN201 - Flask view
    """Two periods compared (JSON): latest snapshot, or ``before``/``after`` computed now."""
    return jsonify({"ok": True, **comparison()})


def extent(rows: list[dict[str, Any]]) -> float:
    """The largest absolute change or interval end among ``rows`` (the scale of a whisker plot)."""
    values = [abs(r[k]) for r in rows for k in ("change", "low", "high") if r[k] is not None]
    return max(values, default=0.0) or 1.0


def comparison() -> dict[str, Any]:
    """The comparison the request asks for, ready for the page and the API."""
    before, after = period("before"), period("after")
    if (before is None) != (after is None):
        missing = "after" if after is None else "before"
        raise InvalidInput("give both periods, before and after", field=missing, value="")
    if before is None or after is None:
        return _from_snapshot()
    return _computed(before, after)


def period(name: str) -> list[str] | None:
    """The months of query parameter ``name`` (``YYYY-MM..YYYY-MM`` or ``YYYY-MM``), or ``None``."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    match = PERIOD.match(value)
    if not match:
        raise InvalidInput("must be a period, YYYY-MM..YYYY-MM", field=name, value=value)
    y1, m1 = int(match.group(1)), int(match.group(2))
    y2, m2 = (int(match.group(3)), int(match.group(4))) if match.group(3) else (y1, m1)
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        raise InvalidInput("months run from 01 to 12", field=name, value=value)
    start, end = y1 * 12 + m1 - 1, y2 * 12 + m2 - 1
    if end < start:
        raise InvalidInput("the period ends before it starts", field=name, value=value)
    if end - start >= MAX_MONTHS:
        raise InvalidInput(f"periods are at most {MAX_MONTHS} months", field=name, value=value)
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(start, end + 1)]


def _from_snapshot() -> dict[str, Any]:
    found = latest("compare")
    if found is None:
        return _empty("No comparison yet: run the analysis (flask --app app analyze).")
    data = found["result"]
    months = found.get("window", {}).get("months", [])
    if "skipped" in data:
        return {**_empty(f"The comparison was skipped: {data['skipped']}."), "months": months}
    return {
        "source": "snapshot",
        "version": found["version"],
        "created": found["created"],
        "seed": found.get("seed"),
        "months": months,
        **_shaped(data),
    }


def _computed(before: list[str], after: list[str]) -> dict[str, Any]:
    snapshot = latest("compare")
    seed = snapshot["seed"] if snapshot and snapshot.get("seed") is not None else 1
    store = get_store()
    data = jobs.load(store, seed=seed)
    known = set(data.months)
    span = f"{data.months[0]}..{data.months[-1]}" if data.months else "no months"
    for name, months in (("before", before), ("after", after)):
        if not known & set(months):
            raise InvalidInput(
                f"no interactions in this period (the data covers {span})",
                field=name,
                value=_label(months),
            )
    result = jobs.jsonable(jobs.compare_windows(data, before, after))
    return {
        "source": "computed",
        "version": None,
        "created": None,
        "seed": seed,
        "months": data.months,
        **_shaped(result),
    }


def _shaped(data: dict[str, Any]) -> dict[str, Any]:
    """A ``compare`` result as rows per measure, hidden groups left out.

    A team's E-I index is left out too when, in either period, its ties
    reach one small hidden team and no other (it would give that tie away,
    :meth:`web.policy.Groups.boundary_safe`); a unit's size is its visible
    headcount. Liaison scores are scores: they stay for every visible unit.
    """
    groups = policy.Groups.of(get_store().people())
    before, after = data["windows"]
    team_shown = ei_shown(groups, [before, after])
    return {
        "skipped": None,
        "windows": {"before": before, "after": after},
        "before": _label(before),
        "after": _label(after),
        "ei": _rows(data["ei"], team_shown, groups.team_size),
        "liaison": _rows(data["liaison"], groups.unit_visible, lambda u: groups.units[u]),
        "findings": [
            {
                "kind": f["kind"],
                "metric": f["metric"],
                "subject": f["subject"],
                **_change(f["change"]),
            }
            for f in data["findings"]
            if _finding_visible(f, groups, team_shown)
        ],
    }


def ei_shown(groups: policy.Groups, windows: list[list[str]]) -> Callable[[str], bool]:
    """Which teams' E-I changes may be shown: visible, and safe in every period (months)."""
    periods = [policy.snapshot_neighbours({"months": months}) for months in windows]

    def shown(team: str) -> bool:
        return all(groups.boundary_safe(team, neighbours) for neighbours in periods)

    return shown


def _rows(
    changes: dict[str, dict[str, Any]],
    shown: Callable[[str], bool],
    size: Callable[[str], int | None],
) -> list[dict[str, Any]]:
    return [
        {"subject": subject, "size": size(subject), **_change(change)}
        for subject, change in sorted(changes.items())
        if shown(subject)
    ]


def _change(change: dict[str, Any]) -> dict[str, Any]:
    """Before, after, their difference, the 95 % interval and whether it excludes 0."""
    before, after, low, high = (change.get(k) for k in ("before", "after", "low", "high"))
    delta = after - before if before is not None and after is not None else None
    significant = low is not None and high is not None and (low > 0 or high < 0)
    return {
        "before": _round(before),
        "after": _round(after),
        "change": _round(delta),
        "low": _round(low),
        "high": _round(high),
        "significant": significant,
    }


def _finding_visible(
    finding: dict[str, Any], groups: policy.Groups, team_shown: Callable[[str], bool]
) -> bool:
    """Liaison findings of visible units, E-I findings of shown teams, pairs of visible teams."""
    if finding["metric"] == "liaison score":
        return groups.unit_visible(finding["subject"])
    if finding["metric"] == "E-I index":
        return team_shown(finding["subject"])
    return groups.subject_visible(finding["subject"])


def _empty(reason: str) -> dict[str, Any]:
    return {
        "source": None,
        "skipped": reason,
        "version": None,
        "created": None,
        "seed": None,
        "months": [],
        "windows": None,
        "before": None,
        "after": None,
        "ei": [],
        "liaison": [],
        "findings": [],
    }


def _label(months: list[str]) -> str:
    """``first..last`` of a run of months (one month alone when they are equal)."""
    if not months:
        return ""
    return months[0] if months[0] == months[-1] else f"{months[0]}..{months[-1]}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)
