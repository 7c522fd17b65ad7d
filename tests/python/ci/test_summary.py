"""The slim CI summary, section by section, from the files the steps leave (no build needed)."""

from __future__ import annotations

import json
from pathlib import Path

from dataops.ci import summary
from dataops.ci.workspace import Workspace

PROJECT = "dataops_retail"


def model(name: str) -> str:
    return f"model.{PROJECT}.{name}"


def result(unique_id: str, status: str, seconds: float = 1.0, message: str = "") -> dict:
    return {
        "unique_id": unique_id,
        "status": status,
        "execution_time": seconds,
        "message": message,
    }


def workspace(tmp_path: Path, **files: object) -> Workspace:
    """A workspace holding these JSON files (`target/run_results.json` as target_run_results)."""
    ws = Workspace("7", tmp_path)
    for name, data in files.items():
        path = ws.path(name.replace("target_", "target/").replace("_json", ".json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
    return ws


def test_header_names_the_schema_and_warns_after_a_full_build() -> None:
    assert summary.header("ci_pr_7", {"source": "folder"}) == [
        "<!-- dataops-slim-ci -->",
        "## Slim CI · `ci_pr_7`",
        "",
    ]
    warned = summary.header("ci_pr_7", {"source": "none", "notes": ["a", "b"]})
    assert warned[3:] == [
        "> [!WARNING]",
        "> No production state was found, so this run built **every** model (a full build),",
        "> not only what changed. a; b",
        "",
    ]


def test_steps_table_lists_the_steps_run_in_order_and_escapes_pipes() -> None:
    steps = {
        "lint": {"status": "failed", "seconds": 2.5, "detail": "1 file(s), 1 violation(s)"},
        "state": {"status": "ok", "seconds": 0.1, "detail": "a | b"},
        "pytest": {"status": "skipped", "seconds": 0, "detail": "not run here (--skip pytest)"},
    }
    assert summary.steps_table(steps) == [
        "| step | result | time |",
        "|---|---|---|",
        "| state | ✅ a \\| b | 0.1 s |",
        "| lint | ❌ 1 file(s), 1 violation(s) | 2.5 s |",
        "| pytest | – not run here (--skip pytest) | 0 s |",
        "",
    ]


def test_build_counts_models_tests_and_unit_tests() -> None:
    results = [
        result(model("fct_orders"), "success"),
        result(model("fct_payments"), "error"),
        result(model("rpt_revenue_daily"), "skipped"),
        result(f"seed.{PROJECT}.countries", "success"),
        result(f"test.{PROJECT}.unique_fct_orders_order_id.1a", "pass"),
        result(f"test.{PROJECT}.not_null_fct_orders_order_id.2b", "fail"),
        result(f"unit_test.{PROJECT}.fct_orders.test_totals", "pass"),
    ]
    lines = summary.build_counts({"mode": "slim"}, results, elapsed=12.34)
    assert lines == [
        "**dbt build** (`state:modified+`, unchanged parents deferred to production) in 12.3 s:",
        "",
        "| | passed / built | failed | skipped |",
        "|---|---|---|---|",
        "| models | 1 | 1 | 1 |",
        "| data tests | 1 | 1 | 0 |",
        "| unit tests | 1 | 0 | 0 |",
        "| seeds / snapshots | 1 / 0 | | |",
        "",
    ]
    assert summary.build_counts({"mode": "full"}, [], elapsed=None)[0] == (
        "**dbt build** (full build):"
    )


def test_built_nodes_slowest_first_with_their_status() -> None:
    results = [
        result(model("stg_shop__orders"), "success", 0.5),
        result(model("fct_orders"), "error", 2.0),
        result(f"test.{PROJECT}.unique_fct_orders_order_id.1a", "pass", 9.0),
    ]
    assert summary.built_nodes(results) == [
        "Built: `fct_orders` 2.00 s (error), `stg_shop__orders` 0.50 s",
        "",
    ]
    assert summary.built_nodes([]) == []


def test_copies_and_the_notes_on_what_was_not_copied() -> None:
    build = {
        "copied": [{"unique_id": model("fct_orders"), "rows": 12345, "seconds": 0.8}],
        "copy_notes": ["`fct_web_sessions` changed in this branch: built in full"],
    }
    assert summary.copies(build) == [
        "Copied from production, then built incrementally: `fct_orders` (12,345 rows, 0.8 s)",
        "",
        "Not copied: `fct_web_sessions` changed in this branch: built in full",
        "",
    ]
    assert summary.copies({"copied": [], "copy_notes": []}) == []


def test_read_from_production_only_for_a_slim_build() -> None:
    deferred = [model("stg_shop__customers")]
    assert summary.read_from_production({"mode": "slim"}, deferred) == [
        "Read from production: `stg_shop__customers`",
        "",
    ]
    assert summary.read_from_production({"mode": "full"}, deferred) == []


def test_failures_show_dbts_message_without_its_sql_echo() -> None:
    message = "Database Error in model fct_orders\n  > select 1\n  column x does not exist"
    lines = summary.failures(
        [result(model("fct_orders"), "error", message=message), result(model("a"), "success")]
    )
    assert lines == [
        "<details><summary>❌ model <code>fct_orders</code>: error</summary>",
        "",
        "```",
        "Database Error in model fct_orders\n  column x does not exist",
        "```",
        "</details>",
        "",
    ]


def test_lint_findings_list_file_line_and_rule() -> None:
    lint = {
        "violations": [
            {"file": "models/a.sql", "line": 3, "code": "CP01", "description": "Keywords."}
        ]
    }
    assert summary.lint_findings(lint) == [
        "**Lint** (sqlfluff, dbt templater):",
        "",
        "- `models/a.sql` line 3: CP01 Keywords.",
        "",
    ]
    assert summary.lint_findings({"violations": []}) == []


def test_build_section_says_why_the_build_did_not_start(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    stopped = {"mode": "slim", "selected": [], "error": "refusing to build: 1 node(s)"}
    assert summary.build_section(ws, stopped, []) == [
        "**dbt build** stopped before building anything: refusing to build: 1 node(s)",
        "",
    ]
    assert summary.build_section(ws, {}, []) == []


def test_the_whole_page_in_section_order(tmp_path: Path) -> None:
    ws = workspace(
        tmp_path,
        state_json={"source": "folder", "detail": "production manifest from here"},
        steps_json={"build": {"status": "ok", "seconds": 3, "detail": "built"}},
        build_json={"mode": "slim", "selected": [], "copied": [], "copy_notes": [], "exit": 0},
        lint_json={"violations": []},
    )

    page = summary.summary_markdown(ws)

    assert page == (
        "<!-- dataops-slim-ci -->\n"
        "## Slim CI · `ci_pr_7`\n"
        "\n"
        "| step | result | time |\n"
        "|---|---|---|\n"
        "| build | ✅ built | 3 s |\n"
        "\n"
        "**dbt build** (`state:modified+`, unchanged parents deferred to production):\n"
        "\n"
        "| | passed / built | failed | skipped |\n"
        "|---|---|---|---|\n"
        "| models | 0 | 0 | 0 |\n"
        "| data tests | 0 | 0 | 0 |\n"
        "| unit tests | 0 | 0 | 0 |\n"
        "\n"
        "Nothing changed that dbt builds.\n"
    )
