"""The conventions check passes on the project and names the file of each rule it breaks.

The module's copy of the project is broken in one place per case, checked and put back. The
cases call the check in this process (`dataops.conventions.check_project`, what the CLI runs),
so dbt parses each change on top of the last parse instead of starting afresh; the CLI itself
is run on the repository and on a copy that does not parse.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.dbt import edited, moved

from dataops.conventions import check_project
from dataops.core.paths import REPO_ROOT

DATAOPS = str(Path(sys.executable).with_name("dataops"))


def conventions(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATAOPS, "conventions", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_follows_its_conventions() -> None:
    result = conventions()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "models follow every rule" in result.stderr


def _rename_intermediate(project: Path) -> contextlib.AbstractContextManager:
    stack = contextlib.ExitStack()
    folder = project / "models" / "intermediate"
    stack.enter_context(
        moved(folder / "int_payments_aggregated_to_orders.sql", folder / "payments_per_order.sql")
    )
    stack.enter_context(
        edited(
            folder / "_intermediate__models.yml",
            "name: int_payments_aggregated_to_orders",
            "name: payments_per_order",
        )
    )
    stack.enter_context(
        edited(
            project / "tests" / "dbt" / "singular" / "assert_refunds_never_exceed_payments.sql",
            "int_payments_aggregated_to_orders",
            "payments_per_order",
        )
    )
    return stack


def _second_models_yaml(project: Path) -> contextlib.AbstractContextManager:
    stack = contextlib.ExitStack()
    marts = project / "models" / "marts" / "_marts__models.yml"
    text = marts.read_text()
    start = text.index("  - name: dim_products\n")
    end = text.index("  - name: rpt_revenue_daily\n")
    stack.enter_context(edited(marts, text[start:end], ""))
    extra = project / "models" / "marts" / "_dim_products.yml"
    extra.write_text("version: 2\n\nmodels:\n" + text[start:end])
    stack.callback(extra.unlink)
    return stack


def _misnamed_staging(project: Path) -> contextlib.AbstractContextManager:
    stack = contextlib.ExitStack()
    folder = project / "models" / "staging" / "ecb"
    stack.enter_context(
        moved(folder / "stg_ecb__euro_rates.sql", folder / "stg_shop__euro_rates.sql")
    )
    stack.enter_context(
        edited(
            folder / "_ecb__models.yml", "name: stg_ecb__euro_rates", "name: stg_shop__euro_rates"
        )
    )
    stack.enter_context(
        edited(
            project / "models" / "intermediate" / "int_euro_rates_filled_to_days.sql",
            "stg_ecb__euro_rates",
            "stg_shop__euro_rates",
        )
    )
    stack.enter_context(
        edited(
            project / "models" / "intermediate" / "_intermediate__models.yml",
            "ref('stg_ecb__euro_rates')",
            "ref('stg_shop__euro_rates')",
        )
    )
    return stack


# (what breaks, how, the file the check must name, the rule)
CASES: list[tuple[str, Callable[[Path], contextlib.AbstractContextManager], str, str]] = [
    (
        "an intermediate model without its prefix",
        _rename_intermediate,
        "models/intermediate/payments_per_order.sql",
        "naming",
    ),
    (
        "a staging model named for another source",
        _misnamed_staging,
        "models/staging/ecb/stg_shop__euro_rates.sql",
        "naming",
    ),
    (
        "a mart reading a source",
        lambda project: edited(
            project / "models" / "marts" / "dim_products.sql",
            "ref('stg_shop__products')",
            "source('shop', 'products')",
        ),
        "models/marts/dim_products.sql",
        "layers",
    ),
    (
        "a staging model reading another source's model",
        lambda project: edited(
            project / "models" / "staging" / "landing" / "stg_landing__web_sessions.sql",
            "{{ landing_current_rows('web_sessions') }}",
            "select * from {{ ref('stg_shop__customers') }}",
        ),
        "models/staging/landing/stg_landing__web_sessions.sql",
        "layers",
    ),
    (
        "an intermediate model reading a mart",
        lambda project: edited(
            project / "models" / "intermediate" / "int_customers_assigned_to_cohorts.sql",
            "ref('stg_shop__orders')",
            "ref('fct_orders')",
        ),
        "models/intermediate/int_customers_assigned_to_cohorts.sql",
        "layers",
    ),
    (
        "two models YAMLs in one folder",
        _second_models_yaml,
        "models/marts/_dim_products.yml",
        "yaml",
    ),
    (
        "a sources YAML with the wrong name",
        lambda project: moved(
            project / "models" / "staging" / "ecb" / "_ecb__sources.yml",
            project / "models" / "staging" / "ecb" / "sources.yml",
        ),
        "models/staging/ecb/sources.yml",
        "yaml",
    ),
    (
        "a model without a description",
        lambda project: edited(
            project / "models" / "marts" / "_marts__models.yml",
            "description: One row per product in the catalogue, as it is now"
            " (history in snp_shop__products).",
            "description: ''",
        ),
        "models/marts/_marts__models.yml",
        "docs",
    ),
    (
        "a column without a description",
        lambda project: edited(
            project / "models" / "staging" / "shop" / "_shop__models.yml",
            "description: E-mail address, lower-cased.",
            "description: ''",
        ),
        "models/staging/shop/_shop__models.yml",
        "docs",
    ),
    (
        "a model whose primary key is not tested unique",
        lambda project: edited(
            project / "models" / "intermediate" / "_intermediate__models.yml",
            "description: Primary key, the source and the load id.\n"
            "        data_tests: [unique, not_null]",
            "description: Primary key, the source and the load id.\n        data_tests: [not_null]",
        ),
        "models/intermediate/_intermediate__models.yml",
        "primary key",
    ),
    (
        # the mart's key is tested unique only: its contract's not_null constraint is the rest
        "a mart key neither tested not_null nor constrained not null",
        lambda project: edited(
            project / "models" / "marts" / "_marts__models.yml",
            "description: Primary key of the order.\n"
            "        data_type: bigint\n"
            "        constraints: [{type: not_null}]\n",
            "description: Primary key of the order.\n        data_type: bigint\n",
        ),
        "models/marts/_marts__models.yml",
        "primary key",
    ),
    (
        # a mart whose key is tested not_null: without the contract a constrained key would
        # break the primary-key rule too
        "a mart without an enforced contract",
        lambda project: edited(
            project / "models" / "marts" / "observability" / "rpt_data_health_runs.sql",
            "with\n",
            "{{ config(contract={'enforced': false}) }}\n\nwith\n",
        ),
        "models/marts/observability/rpt_data_health_runs.sql",
        "contracts",
    ),
    (
        "PostgreSQL-only SQL in a model",
        lambda project: edited(
            project / "models" / "marts" / "fct_payments.sql",
            "cast(amount as numeric(14, 2)) as amount,",
            "amount::numeric(14, 2) as amount,",
        ),
        "models/marts/fct_payments.sql:42",
        "portability",
    ),
]


@pytest.fixture(scope="module")
def checked_copy(project_copy: Path) -> Iterator[tuple[Path, set[str]]]:
    """The module's copy, parsed once intact, and what the check says of it intact: each
    case must add its complaint to exactly that."""
    yield project_copy, {str(violation) for violation in check_project(project_copy)}


@pytest.mark.parametrize(
    ("breakage", "path", "rule"),
    [(case[1], case[2], case[3]) for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_broken_rule_names_the_file_to_fix(
    checked_copy: tuple[Path, set[str]],
    breakage: Callable[[Path], contextlib.AbstractContextManager],
    path: str,
    rule: str,
) -> None:
    project, intact = checked_copy
    with breakage(project):
        found = {str(violation) for violation in check_project(project)}
    new = found - intact
    assert any(line.startswith(f"{path}: {rule}: ") for line in new), new
    # one break, one kind of complaint, and nothing that was not broken is reported
    assert {line.split(": ")[1] for line in new} == {rule}, new


def test_the_command_names_the_file_and_fails(checked_copy: tuple[Path, set[str]]) -> None:
    project, _ = checked_copy
    with edited(
        project / "models" / "marts" / "_marts__models.yml",
        "description: Units sold.\n        data_type: integer",
        "data_type: integer",
    ):
        result = conventions("--project-dir", str(project))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "models/marts/_marts__models.yml: docs: fct_order_items.quantity has no description"
        in result.stdout.splitlines()
    )
    assert result.stderr.strip().splitlines()[-1].startswith("conventions: ")


def test_a_project_that_does_not_parse_is_one_clear_line(
    checked_copy: tuple[Path, set[str]],
) -> None:
    project, _ = checked_copy
    with edited(project / "models" / "marts" / "fct_payments.sql", "with\n", "{% if %}\n"):
        result = conventions("--project-dir", str(project))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: dbt parse failed in "), result.stderr
    assert "fct_payments" in last
