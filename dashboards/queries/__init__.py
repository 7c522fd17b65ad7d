"""Every SQL statement the dashboard runs, one module per page, written on the marts only.

`shell` holds what the app shell reads on every page (the date bounds, the filter options, the
"data as of" badge and the latest tests for "Report a data issue"); `overview`, `sales`,
`customers`, `marketing`, `products` and `health` what each page reads besides; `coverage`
what no page shows (how far each reporting mart reaches). A page imports the modules it reads
through, so the marts behind a page are the `{marts}.<name>` in those modules' templates, and
the test of the dashboard's exposures reads them from there.

Statements are templates for `dashboards.db.compose`; filtered ones take `db.bind(filters)`.
Results come through `dashboards.cache.query`, except the run-history views in `health`,
which are read afresh.
"""
