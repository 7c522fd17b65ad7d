"""What every page's main callback does around its own work: read the filters from the
shell's store, answer from the cache when the view was asked for since the marts last
changed, and turn bad filters, an empty selection or an unavailable warehouse into the page's
message and charts that say why.

A page gives two functions: `build(filters, *options)`, its outputs (values, notes, figures)
for one view, raising `NoData` when the filters select nothing; and `blanks(text)`, the same
outputs empty, each chart showing `text`. Both return a dict keyed like the callback's
outputs, without the message area's `message` and `hidden`, which are added here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash.exceptions import PreventUpdate

from dashboards import data
from dashboards.filters import Filters, InvalidFilters, choose

Outputs = dict[str, Any]


class NoData(Exception):
    """The filters select no rows; the message is what the page's charts say."""


def page_outputs(
    stored: Any,
    build: Callable[..., Outputs],
    blanks: Callable[[str], Outputs],
    choices: Sequence[tuple[object, dict[str, Any], str]] = (),
) -> Outputs:
    """The outputs of a page for the filters in the store.

    `choices` are the page's own inputs besides the filters, each as (value, allowlist,
    label) for `filters.choose`; their allowlisted meanings follow the filters into `build`.
    """
    if stored is None:
        raise PreventUpdate
    try:
        filters = Filters.from_store(stored)
        options = tuple(choose(value, allowed, label) for value, allowed, label in choices)
        outputs = data.remembered(build, filters, *options)
    except (InvalidFilters, data.DataUnavailable) as exc:
        return {**blanks("Not available"), "message": str(exc), "hidden": False}
    except NoData as exc:
        return {**blanks(str(exc)), "message": "", "hidden": True}
    return {**outputs, "message": "", "hidden": True}
