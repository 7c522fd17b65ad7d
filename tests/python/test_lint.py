"""The linters the test command runs catch what they are configured to catch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dataops.core.paths import REPO_ROOT

BIN = Path(sys.executable).parent

GOOD_SQL = """with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

final as (

    select
        order_id,
        customer_id

    from orders

)

select * from final
"""

# upper-case keywords, an implicit alias and a leading comma: three house-style breaks
BAD_SQL = """WITH orders AS (SELECT * FROM {{ ref('stg_shop__orders') }} o)
SELECT order_id
    , customer_id FROM orders
"""


def sqlfluff(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "--config", str(REPO_ROOT / ".sqlfluff"), str(path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_sqlfluff_accepts_house_style(tmp_path: Path) -> None:
    model = tmp_path / "good.sql"
    model.write_text(GOOD_SQL)
    result = sqlfluff(model)
    assert result.returncode == 0, result.stdout


def test_sqlfluff_rejects_style_breaks(tmp_path: Path) -> None:
    model = tmp_path / "bad.sql"
    model.write_text(BAD_SQL)
    result = sqlfluff(model)
    assert result.returncode == 1
    for rule in ("CP01", "AL01", "LT04"):
        assert rule in result.stdout, rule
