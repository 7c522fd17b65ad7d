"""The summary step: a pull request's CI in one markdown page (steps, what dbt built,
failures with dbt's message, lint findings), printed, kept for the pull request comment and
added to the GitHub job summary.

Each section is a function of what the steps left in the workspace, returning its lines
(each block ends with a blank line); `summary_markdown` puts them in order.
"""

from __future__ import annotations

from dataops.ci.github import COMMENT_MARKER, append_job_summary, post_comment
from dataops.ci.results import (
    BUILT_KINDS,
    count_results,
    deferred_parents,
    kind,
    node_name,
    run_results,
    run_results_file,
)
from dataops.ci.workspace import STEPS, Workspace
from dataops.core.errors import DataOpsError

ICONS = {"ok": "✅", "failed": "❌", "warning": "⚠️", "skipped": "–"}
MAX_FAILURES = 10
MAX_FAILURE_CHARS = 3000
MAX_LINT_FINDINGS = 30


def header(schema: str, state: dict) -> list[str]:
    """The marker the comment is found by, the title, and a warning after a full build."""
    lines = [COMMENT_MARKER, f"## Slim CI · `{schema}`", ""]
    if state.get("source") == "none":
        lines += [
            "> [!WARNING]",
            "> No production state was found, so this run built **every** model (a full build),",
            "> not only what changed. " + "; ".join(state.get("notes", [])),
            "",
        ]
    return lines


def steps_table(steps: dict) -> list[str]:
    """How each step before the summary ended, and how long it took."""
    lines = ["| step | result | time |", "|---|---|---|"]
    for step in STEPS[:-1]:
        entry = steps.get(step)
        if entry is None:
            continue
        detail = entry["detail"].replace("|", "\\|")
        icon = ICONS.get(entry["status"], "")
        lines.append(f"| {step} | {icon} {detail} | {entry['seconds']} s |")
    return [*lines, ""]


def build_counts(build: dict, results: list[dict], elapsed: float | None) -> list[str]:
    """How dbt built (slim or full), and models, data tests, unit tests passed and failed."""
    mode = (
        "`state:modified+`, unchanged parents deferred to production"
        if build.get("mode") == "slim"
        else "full build"
    )
    took = f" in {elapsed:.1f} s" if results and elapsed else ""
    counts = count_results(results)
    lines = [
        f"**dbt build** ({mode}){took}:",
        "",
        "| | passed / built | failed | skipped |",
        "|---|---|---|---|",
        f"| models | {counts['models_built']} | {counts['models_failed']} "
        f"| {counts['models_skipped']} |",
        f"| data tests | {counts['tests_passed']} | {counts['tests_failed']} "
        f"| {counts['tests_skipped']} |",
        f"| unit tests | {counts['unit_tests_passed']} | {counts['unit_tests_failed']} "
        f"| {counts['unit_tests_skipped']} |",
    ]
    if counts["seeds_built"] or counts["snapshots_built"]:
        lines.append(
            f"| seeds / snapshots | {counts['seeds_built']} / {counts['snapshots_built']} | | |"
        )
    return [*lines, ""]


def built_nodes(results: list[dict]) -> list[str]:
    """Every model, seed and snapshot the build ran, slowest first, with its time."""
    built = sorted(
        (r for r in results if kind(r["unique_id"]) in BUILT_KINDS),
        key=lambda r: -float(r.get("execution_time") or 0),
    )
    if not built:
        return []
    named = [
        f"`{node_name(r['unique_id'])}` {float(r.get('execution_time') or 0):.2f} s"
        + ("" if r["status"] == "success" else f" ({r['status']})")
        for r in built
    ]
    return ["Built: " + ", ".join(named), ""]


def copies(build: dict) -> list[str]:
    """The incremental models copied from production, and why the others were not."""
    lines = []
    if build.get("copied"):
        named = [
            f"`{node_name(copy['unique_id'])}` ({copy['rows']:,} rows, {copy['seconds']} s)"
            for copy in build["copied"]
        ]
        lines += ["Copied from production, then built incrementally: " + ", ".join(named), ""]
    if build.get("copy_notes"):
        lines += ["Not copied: " + "; ".join(build["copy_notes"]), ""]
    return lines


def read_from_production(build: dict, deferred: list[str]) -> list[str]:
    """The parents a slim build read from production rather than building."""
    if not deferred or build.get("mode") != "slim":
        return []
    return ["Read from production: " + ", ".join(f"`{node_name(d)}`" for d in deferred), ""]


def build_section(ws: Workspace, build: dict, results: list[dict]) -> list[str]:
    """What dbt built, or why it did not start."""
    if build.get("error"):
        return [f"**dbt build** stopped before building anything: {build['error']}", ""]
    if not build:
        return []
    elapsed = run_results_file(ws.target).get("elapsed_time")
    lines = build_counts(build, results, elapsed) + built_nodes(results) + copies(build)
    lines += read_from_production(build, deferred_parents(ws.target))
    if not results and build.get("mode") == "slim" and build.get("exit") == 0:
        lines += ["Nothing changed that dbt builds.", ""]
    return lines


def failures(results: list[dict]) -> list[str]:
    """The first failed nodes, each with dbt's message (its compiled-SQL echo left out)."""
    lines = []
    failed = [r for r in results if r["status"] in {"error", "fail"}]
    for result in failed[:MAX_FAILURES]:
        message = (result.get("message") or "").strip()
        message = "\n".join(
            line for line in message.splitlines() if not line.strip().startswith(">")
        )
        lines += [
            "<details><summary>❌ "
            f"{kind(result['unique_id']).replace('_', ' ')} <code>{node_name(result['unique_id'])}"
            f"</code>: {result['status']}</summary>",
            "",
            "```",
            message.strip()[:MAX_FAILURE_CHARS],
            "```",
            "</details>",
            "",
        ]
    return lines


def lint_findings(lint: dict) -> list[str]:
    """sqlfluff's findings on the changed SQL."""
    if not lint.get("violations"):
        return []
    findings = [
        f"- `{v['file']}` line {v['line']}: {v['code']} {v['description']}"
        for v in lint["violations"][:MAX_LINT_FINDINGS]
    ]
    return ["**Lint** (sqlfluff, dbt templater):", "", *findings, ""]


def summary_markdown(ws: Workspace) -> str:
    """The pull request's CI in one page: steps, what dbt built, failures, slowest nodes."""
    results = run_results(ws.target)
    lines = (
        header(ws.schema, ws.read_json("state.json"))
        + steps_table(ws.read_json("steps.json"))
        + build_section(ws, ws.read_json("build.json"), results)
        + failures(results)
        + lint_findings(ws.read_json("lint.json"))
    )
    return "\n".join(lines).rstrip() + "\n"


def step_summary(ws: Workspace) -> bool:
    """Print the summary, keep it for the comment, and add it to the GitHub job summary."""
    text = summary_markdown(ws)
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.path("summary.md").write_text(text)
    print(text, flush=True)
    append_job_summary(text)
    return True


def comment(ws: Workspace) -> None:
    """Post the summary a summary step kept on the pull request (or update the earlier one)."""
    body = ws.path("summary.md")
    if not body.exists():
        raise DataOpsError(f"no summary at {body}: run `dataops ci summary --pr {ws.pr}` first")
    post_comment(ws.pr, body)
