"""Slim CI against a real production: a copy of the project built by `dataops ci deploy` in a
database of its own, then pull requests on branches of that copy.

Each test changes the copy the way an analyst would, runs the same `dataops ci` commands the
workflow runs, and checks what dbt built, where it read the rest from, and that production
did not move.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg2 import sql
from support.ci import (
    PROJECT,
    Production,
    PullRequest,
    clone,
    dataops,
    descendants,
    fingerprint,
    prod_schemas,
)
from support.project import copy_repository
from support.warehouse import Warehouse

from dataops.core.warehouse import WarehouseSettings

STAGING_MODEL = f"model.{PROJECT}.stg_shop__orders"
STAGING_FILE = "models/staging/shop/stg_shop__orders.sql"
OTHER_STAGING_MODEL = f"model.{PROJECT}.stg_shop__customers"
OTHER_STAGING_FILE = "models/staging/shop/stg_shop__customers.sql"
DASHBOARD_MART = f"model.{PROJECT}.rpt_revenue_daily"
BUILT_KINDS = ("model", "snapshot", "seed")


@pytest.fixture(scope="module")
def production(
    server_connection: WarehouseSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Production]:
    """The project on `main`, deployed to production: 30 demo days, 3,000 orders a year."""
    root = tmp_path_factory.mktemp("ci")
    settings = server_connection.with_database(f"test_{uuid.uuid4().hex[:10]}")
    settings.ensure_database()
    warehouse = Warehouse(settings, root / "production-state")
    base = copy_repository(root / "main")
    dataops(base, warehouse, "generate", "--days", "30", "--orders", "3000")
    dataops(base, warehouse, "ci", "deploy", "--out", str(root / "published"))
    try:
        yield Production(warehouse, base, root / "published")
    finally:
        settings.drop_database()


@pytest.fixture
def pull_request(production: Production, tmp_path: Path) -> PullRequest:
    """A branch off `main`, its own state folder, and a pull request number of its own."""
    number = str(uuid.uuid4().int % 10**6)
    path = clone(production.base, tmp_path / "pr", f"pr-{number}")
    return PullRequest(path, Warehouse(production.warehouse.settings, tmp_path / "state"), number)


def named_test(compiled: dict[str, str], prefix: str) -> str:
    """The one test among `compiled` whose name starts with `prefix`."""
    (name,) = [name for name in compiled if name.startswith(prefix)]
    return name


def add_comment(text: str) -> str:
    return "-- reviewed: the grain stays one row per record\n" + text


def test_deploy_publishes_what_slim_ci_and_the_docs_need(production: Production) -> None:
    published = {str(p.relative_to(production.published)) for p in production.published.rglob("*")}
    expected = {
        "prod-state",
        "prod-state/manifest.json",
        "prod-state/run_results.json",
        "prod-state/sources.json",
        "docs",
        "docs/index.html",
    }
    assert published == expected
    # the static docs site carries the manifest and catalog inside the one page
    site = (production.published / "docs" / "index.html").read_text()
    assert '"model.dataops_retail.stg_shop__orders"' in site


def test_one_changed_staging_model_builds_it_and_its_descendants_only(
    production: Production, pull_request: PullRequest, tmp_path: Path
) -> None:
    manifest = production.manifest()
    schemas = prod_schemas(manifest)
    before = fingerprint(production.warehouse, schemas)
    pull_request.edit(STAGING_FILE, add_comment)
    job_summary = tmp_path / "job-summary.md"

    result = pull_request.ci(
        "run",
        "--skip",
        "pytest",
        DATAOPS_PROD_STATE=str(production.state),
        GITHUB_STEP_SUMMARY=str(job_summary),
    )

    built = built_exactly_the_change_and_its_descendants(manifest, pull_request)
    parents_read_from_the_pull_request_or_production(manifest, pull_request, built)
    unit_tests_ran_against_the_deferred_inputs(manifest, pull_request, built)
    # production did not move
    assert fingerprint(production.warehouse, schemas) == before
    changed_file_linted_and_summarised(pull_request, built, result.stdout, job_summary)

    # closing the pull request drops its schema, and only its schema
    dropped = pull_request.ci("drop-schema")
    again = pull_request.ci("drop-schema")
    assert f"{pull_request.schema} dropped" in dropped.stderr
    assert f"{pull_request.schema} did not exist" in again.stderr
    assert pull_request.relations() == set()
    assert fingerprint(production.warehouse, schemas) == before


def built_exactly_the_change_and_its_descendants(
    manifest: dict, pull_request: PullRequest
) -> set[str]:
    """Exactly the changed model and everything downstream of it, nothing else: what was
    built."""
    expected = descendants(manifest, STAGING_MODEL, BUILT_KINDS)
    built = pull_request.built(*BUILT_KINDS)
    assert built - expected == set(), "built but not downstream of the change"
    assert expected - built == set(), "downstream of the change but not built"
    aliases = {manifest["nodes"][node]["alias"] for node in expected}
    assert pull_request.relations() == aliases
    return built


def parents_read_from_the_pull_request_or_production(
    manifest: dict, pull_request: PullRequest, built: set[str]
) -> None:
    """Unchanged parents are read from production, changed ones from the pull request's
    schema."""
    ci_manifest = pull_request.read("target/manifest.json")
    compiled = {r["unique_id"]: r.get("compiled_code") or "" for r in pull_request.run_results()}
    deferred_checked = 0
    for node in sorted(built & set(compiled)):
        for parent in ci_manifest["nodes"][node]["depends_on"]["nodes"]:
            if parent.split(".")[0] not in BUILT_KINDS:
                continue
            alias = manifest["nodes"][parent]["alias"]
            in_pr = f'"{pull_request.schema}"."{alias}"'
            in_prod = manifest["nodes"][parent]["relation_name"]
            if in_pr not in compiled[node] and in_prod not in compiled[node]:
                continue  # this run's SQL does not read it (an incremental run's, say)
            if parent in built:
                assert in_pr in compiled[node], (node, parent)
            else:
                assert manifest["nodes"][parent]["relation_name"] in compiled[node], (node, parent)
                assert in_pr not in compiled[node], (node, parent)
                deferred_checked += 1
    assert deferred_checked > 0, "no built model had an unchanged parent to defer to"


def unit_tests_ran_against_the_deferred_inputs(
    manifest: dict, pull_request: PullRequest, built: set[str]
) -> None:
    """The unit tests of every model built ran, and passed, against the deferred inputs."""
    expected_unit_tests = {
        unique_id
        for unique_id, unit_test in manifest["unit_tests"].items()
        if f"model.{PROJECT}.{unit_test['model']}" in built
    }
    assert expected_unit_tests, "no unit test downstream of the change; pick another model"
    assert pull_request.built("unit_test") == expected_unit_tests


def changed_file_linted_and_summarised(
    pull_request: PullRequest, built: set[str], printed: str, job_summary: Path
) -> None:
    """Only the changed file was linted, with the dbt templater, and it is clean; the summary
    is printed, kept for the comment and added to the job summary."""
    lint = pull_request.read("lint.json")
    assert lint["files"] == [STAGING_FILE]
    assert lint["violations"] == []

    summary = (pull_request.workspace / "summary.md").read_text()
    assert summary.startswith("<!-- dataops-slim-ci -->")
    assert summary.strip() in printed
    assert job_summary.read_text().strip() == summary.strip()
    assert f"| models | {len([n for n in built if n.startswith('model.')])} | 0 | 0 |" in summary
    assert "`stg_shop__orders`" in summary
    assert "Read from production:" in summary


def test_no_change_builds_nothing(production: Production, pull_request: PullRequest) -> None:
    pull_request.ci("run", "--skip", "pytest", DATAOPS_PROD_STATE=str(production.state))

    assert pull_request.run_results() == []
    assert pull_request.relations() == set()
    assert pull_request.read("lint.json")["files"] == []
    assert "Nothing changed that dbt builds." in (pull_request.workspace / "summary.md").read_text()


def test_removing_a_column_a_dashboard_mart_exposes_fails_on_its_contract(
    production: Production, pull_request: PullRequest
) -> None:
    manifest = production.manifest()
    mart = manifest["nodes"][DASHBOARD_MART]
    columns = [name for name in mart["columns"] if name != "net_revenue_eur"]
    assert len(columns) == len(mart["columns"]) - 1, "the mart no longer exposes net_revenue_eur"

    def drop_column(text: str) -> str:
        final = re.search(r"select \* from (\w+)\s*$", text)
        assert final, "the mart no longer ends in `select * from <cte>`"
        return text[: final.start()] + f"select {', '.join(columns)} from {final.group(1)}\n"

    pull_request.edit(mart["original_file_path"], drop_column)
    before = fingerprint(production.warehouse, prod_schemas(manifest))

    result = pull_request.ci(
        "run", "--skip", "pytest,lint", DATAOPS_PROD_STATE=str(production.state), check=False
    )

    assert result.returncode == 1
    failed = {r["unique_id"]: r for r in pull_request.run_results() if r["status"] == "error"}
    assert set(failed) == {DASHBOARD_MART}
    message = failed[DASHBOARD_MART]["message"]
    assert "enforced contract" in message
    assert "net_revenue_eur" in message
    assert "missing in definition" in message
    summary = (pull_request.workspace / "summary.md").read_text()
    assert "This model has an enforced contract that failed" in summary
    assert "| build | ❌" in summary
    assert fingerprint(production.warehouse, prod_schemas(manifest)) == before


def test_missing_production_manifest_falls_back_to_parsing_the_base_branch(
    production: Production, pull_request: PullRequest, tmp_path: Path
) -> None:
    empty = tmp_path / "no-artifact"
    empty.mkdir()
    pull_request.edit(OTHER_STAGING_FILE, add_comment)

    result = pull_request.ci("run", "--skip", "pytest,lint", DATAOPS_PROD_STATE=str(empty))

    state = pull_request.read("state.json")
    assert state["source"] == "worktree"
    assert "origin/main" in state["detail"]
    assert f"production state folder {empty} has no manifest.json" in state["notes"]
    expected = descendants(production.manifest(), OTHER_STAGING_MODEL, BUILT_KINDS)
    assert pull_request.built(*BUILT_KINDS) == expected
    assert "FULL" not in result.stderr
    # the worktree is gone again
    worktrees = pull_request.path / ".git" / "worktrees"
    assert not worktrees.exists() or not any(worktrees.iterdir())


def test_no_manifest_and_no_base_branch_means_a_full_build_with_a_warning(
    production: Production, pull_request: PullRequest, tmp_path: Path
) -> None:
    empty = tmp_path / "no-artifact"
    empty.mkdir()
    pull_request.edit(OTHER_STAGING_FILE, add_comment)

    result = pull_request.ci(
        "run",
        "--skip",
        "pytest,lint",
        "--base",
        "no-such-branch",
        DATAOPS_PROD_STATE=str(empty),
    )

    assert pull_request.read("state.json")["source"] == "none"
    assert "WARNING: No production state" in result.stderr
    assert "FULL build" in result.stderr
    summary = (pull_request.workspace / "summary.md").read_text()
    assert "> [!WARNING]" in summary
    assert "(full build)" in summary
    manifest = pull_request.read("target/manifest.json")
    everything = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in BUILT_KINDS
    }
    assert pull_request.built(*BUILT_KINDS) == everything


def test_a_style_break_in_changed_sql_fails_the_lint(
    production: Production, pull_request: PullRequest
) -> None:
    pull_request.edit(STAGING_FILE, lambda text: text.replace("select", "SELECT", 1))

    result = pull_request.ci("lint", check=False)

    assert result.returncode == 1
    assert re.search(rf"^{re.escape(STAGING_FILE)}:\d+: CP01 ", result.stdout, re.MULTILINE)
    assert pull_request.read("lint.json")["files"] == [STAGING_FILE]


def test_a_model_that_does_not_compile_stops_the_build_naming_it(
    production: Production, pull_request: PullRequest
) -> None:
    pull_request.edit(STAGING_FILE, lambda text: text + "\n{{ unfinished(\n")
    pull_request.ci("state", DATAOPS_PROD_STATE=str(production.state))

    result = pull_request.ci("build", check=False)

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt could not list the changed models: Compilation Error")
    assert "stg_shop__orders" in last
    # dbt's own report, with the line at fault, is in the log above it
    assert "{{ unfinished(" in result.stderr
    assert pull_request.run_results() == []


def test_a_change_that_would_write_outside_the_pr_schema_is_refused(
    production: Production, pull_request: PullRequest
) -> None:
    """A pull request that makes every target use production's schemas, and changes a model
    (dbt's state comparison does not see the schema macro change on its own), builds nothing."""
    pull_request.edit(
        "macros/generate_schema_name.sql",
        lambda text: text.replace("target.name == 'prod' and ", ""),
    )
    pull_request.edit(STAGING_FILE, add_comment)
    manifest = production.manifest()
    before = fingerprint(production.warehouse, prod_schemas(manifest))
    pull_request.ci("state", DATAOPS_PROD_STATE=str(production.state))

    result = pull_request.ci("build", check=False)

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: refusing to build:")
    assert f"outside {pull_request.schema}" in last
    assert pull_request.run_results() == []
    assert fingerprint(production.warehouse, prod_schemas(manifest)) == before


def test_the_pytest_step_reports_passes_and_failures(
    production: Production, pull_request: PullRequest
) -> None:
    probe = pull_request.path / "tests" / "python" / "probe" / "test_probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "def test_passes():\n    assert True\n\n\ndef test_fails():\n    assert False\n"
    )

    # a basetemp of its own: pytest prunes old folders of the shared one, this run's included
    pytest_args = f"{probe} -p no:cacheprovider --basetemp {pull_request.path / 'pytest-tmp'}"

    result = pull_request.ci(
        "run", "--skip", "state,build,lint", "--pytest-args", pytest_args, check=False
    )

    assert result.returncode == 1
    steps = pull_request.read("steps.json")
    assert steps["pytest"]["status"] == "failed"
    assert steps["pytest"]["detail"] == "1 passed, 1 failed, 0 skipped"
    assert "| pytest | ❌ 1 passed, 1 failed, 0 skipped" in result.stdout


# -- incremental models copied from production ------------------------------------------------


def incremental(manifest: dict, nodes: set[str]) -> set[str]:
    return {
        node
        for node in nodes
        if node.startswith("model.")
        and manifest["nodes"][node]["config"]["materialized"] == "incremental"
    }


def table_shape(warehouse: Warehouse, schema: str, name: str) -> dict[str, object]:
    """A relation's kind, row count, columns with their types, and index and constraint
    definitions (with the schema's name taken out, so two schemas compare)."""
    with warehouse.settings.session() as connection, connection.cursor() as cursor:
        relation = f'"{schema}"."{name}"'
        cursor.execute("select relkind from pg_class where oid = %s::regclass", (relation,))
        kind = cursor.fetchone()[0]
        cursor.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name)))
        rows = cursor.fetchone()[0]
        cursor.execute(
            "select attname, format_type(atttypid, atttypmod), attnotnull from pg_attribute"
            " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
            (relation,),
        )
        columns = cursor.fetchall()
        cursor.execute(
            "select pg_get_indexdef(indexrelid), indisprimary from pg_index"
            " where indrelid = %s::regclass",
            (relation,),
        )
        indexes = sorted(
            (re.sub(r"^.* ON (ONLY )?\S+ ", "", definition), primary)
            for definition, primary in cursor.fetchall()
        )
    return {"kind": kind, "rows": rows, "columns": columns, "indexes": indexes}


def writes(pull_request: PullRequest, name: str) -> set[str]:
    """How dbt's log says this run wrote the pull request's relation `name`: "delete" (an
    incremental run's delete+insert into the table that was there) and/or "create" (a table
    created from every row)."""
    log = (pull_request.workspace / "logs" / "dbt.log").read_text()
    relation = rf'"[^"]+"\."{re.escape(pull_request.schema)}"\."{re.escape(name)}"'
    found = re.findall(rf"\b(delete from|create\s+table)\s+{relation}", log)
    return {"delete" if kind == "delete from" else "create" for kind in found}


def test_incremental_descendants_are_copied_from_production_and_extended(
    production: Production, pull_request: PullRequest
) -> None:
    manifest = production.manifest()
    schemas = prod_schemas(manifest)
    before = fingerprint(production.warehouse, schemas)
    expected = incremental(manifest, descendants(manifest, OTHER_STAGING_MODEL, ("model",)))
    assert expected, "nothing incremental downstream of stg_shop__customers; pick another model"
    pull_request.edit(OTHER_STAGING_FILE, add_comment)

    result = pull_request.ci(
        "run", "--skip", "pytest,lint", DATAOPS_PROD_STATE=str(production.state)
    )

    build = pull_request.read("build.json")
    assert {copy["unique_id"] for copy in build["copied"]} == expected
    assert build["copy_notes"] == []
    results = {r["unique_id"]: r for r in pull_request.run_results()}
    ci_tables = fingerprint(production.warehouse, {pull_request.schema})
    for unique_id in sorted(expected):
        node = manifest["nodes"][unique_id]
        name = node["alias"]
        assert f"copied {name} from production ({node['schema']}.{name}" in result.stderr
        # dbt found a table and extended it (delete+insert), rather than creating one
        assert results[unique_id]["status"] == "success"
        assert writes(pull_request, name) == {"delete"}, unique_id
        # production's table, with its types, NOT NULL and primary key, indexes and rows
        shape = table_shape(production.warehouse, pull_request.schema, name)
        assert shape["kind"] == "r"
        assert shape == table_shape(production.warehouse, node["schema"], name)
        # only a comment changed: the rows rebuilt are the ones production holds
        assert ci_tables[f"{pull_request.schema}.{name}"] == before[f"{node['schema']}.{name}"]
    summary = (pull_request.workspace / "summary.md").read_text()
    assert "Copied from production, then built incrementally:" in summary
    assert all(f"`{unique_id.split('.')[-1]}` (" in summary for unique_id in expected)
    assert fingerprint(production.warehouse, schemas) == before

    # a row test of a fact left to production reads that fact's recent rows, where production
    # keeps them; a test that reads the changed model reads every row, while a copied model's
    # tests read the rows the incremental build wrote
    compiled = {
        r["unique_id"].split(".")[2]: r.get("compiled_code") or "" for r in results.values()
    }
    deferred = compiled[named_test(compiled, "relationships_fct_web_sessions_order_id__")]
    assert manifest["nodes"][f"model.{PROJECT}.fct_web_sessions"]["relation_name"] in deferred
    assert "started_at >= '" in deferred
    reads_changed = compiled[
        named_test(
            compiled,
            "relationships_stg_shop__orders_customer_id__customer_id__ref_stg_shop__customers_",
        )
    ]
    assert "updated_at >= '" not in reads_changed
    assert "updated_at >= '" in compiled[named_test(compiled, "unique_fct_orders_order_id")]


def test_a_changed_incremental_model_is_built_in_full_not_copied(
    production: Production, pull_request: PullRequest
) -> None:
    manifest = production.manifest()
    # the incremental model with the most incremental models downstream of it
    changed = max(
        sorted(incremental(manifest, set(manifest["nodes"]))),
        key=lambda node: len(incremental(manifest, descendants(manifest, node, ("model",)))),
    )
    node = manifest["nodes"][changed]
    pull_request.edit(node["original_file_path"], add_comment)

    result = pull_request.ci(
        "run", "--skip", "pytest,lint", DATAOPS_PROD_STATE=str(production.state)
    )

    build = pull_request.read("build.json")
    downstream = incremental(manifest, descendants(manifest, changed, ("model",)))
    assert {copy["unique_id"] for copy in build["copied"]} == downstream - {changed}
    assert f"`{node['alias']}` changed in this branch: built in full" in build["copy_notes"]
    assert f"copied {node['alias']} " not in result.stderr
    run = next(r for r in pull_request.run_results() if r["unique_id"] == changed)
    assert run["status"] == "success"
    assert writes(pull_request, node["alias"]) == {"create"}
    assert all(
        writes(pull_request, copy["to"].split(".")[-1]) == {"delete"} for copy in build["copied"]
    )
    assert table_shape(production.warehouse, pull_request.schema, node["alias"])["kind"] == "r"
    assert (
        "changed in this branch: built in full"
        in (pull_request.workspace / "summary.md").read_text()
    )
    # its change applies to every row, and so do its tests, while those of the copies read
    # the rows an incremental build wrote
    window = f"{manifest['nodes'][changed]['config']['meta']['test_window_column']} >= '"
    tests = {
        r["unique_id"]: r.get("compiled_code") or ""
        for r in pull_request.run_results()
        if r["unique_id"].startswith("test.")
    }
    own = [code for unique_id, code in tests.items() if f"_{node['alias']}_" in unique_id]
    assert own, f"no test of {node['alias']} ran"
    assert all(window not in code for code in own)
    assert any(" >= '" in code for unique_id, code in tests.items() if unique_id not in own)


def test_a_full_refresh_or_a_table_production_lacks_is_built_in_full(
    production: Production, pull_request: PullRequest
) -> None:
    manifest = production.manifest()
    expected = incremental(manifest, descendants(manifest, OTHER_STAGING_MODEL, ("model",)))
    missing = manifest["nodes"][min(expected)]
    pull_request.edit(OTHER_STAGING_FILE, add_comment)
    pull_request.ci("state", DATAOPS_PROD_STATE=str(production.state))

    refreshed = pull_request.ci("build", DBT_FULL_REFRESH="true")

    assert pull_request.read("build.json")["copied"] == []
    assert "no incremental model is copied" in refreshed.stderr
    assert all(
        writes(pull_request, manifest["nodes"][node]["alias"]) == {"create"} for node in expected
    )

    # production's table is gone (dropped by hand, say): that one model builds in full
    schema, name = missing["schema"], missing["alias"]
    with production.warehouse.settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("alter table {} rename to {}").format(
                sql.Identifier(schema, name), sql.Identifier(f"{name}_away")
            )
        )
    try:
        pull_request.ci("build")
    finally:
        with production.warehouse.settings.session() as connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("alter table {} rename to {}").format(
                    sql.Identifier(schema, f"{name}_away"), sql.Identifier(name)
                )
            )
    build = pull_request.read("build.json")
    assert {copy["unique_id"] for copy in build["copied"]} == expected - {missing["unique_id"]}
    assert (
        f"production has no table {schema}.{name}: `{name}` built in full" in (build["copy_notes"])
    )
