"""The dashboard's pages as assets: one per exposure of the dbt project
(models/marts/_marts__exposures.yml), keyed `["dashboard", <exposure>]`, in the group
`dashboard`, downstream of the marts the page reads, its URL in the metadata.

A page is materializable, so "rebuild what feeds this page" is one selection and a red page is
visible in the graph: materializing it reads the row count of each of its marts as the
dashboard's read-only role (`dataops_reporter`), which is what the page needs to show. It
builds nothing; the dashboard reads the marts live.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from psycopg2 import sql

from dataops import roles
from orchestration.assets.dbt import model_key
from orchestration.assets.project import Warehouse, owners

GROUP = "dashboard"


def exposures(loaded: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> exposure node, for the dashboard's exposures."""
    return {
        node["name"]: node
        for node in loaded.get("exposures", {}).values()
        if node.get("type") == "dashboard"
    }


def page_marts(exposure: dict[str, Any], loaded: dict[str, Any]) -> list[dict[str, Any]]:
    """The model nodes a page depends on."""
    nodes = loaded["nodes"]
    return [nodes[unique_id] for unique_id in exposure["depends_on"]["nodes"] if unique_id in nodes]


def _exposure_owners(exposure: dict[str, Any], loaded: dict[str, Any]) -> list[str]:
    email = (exposure.get("owner") or {}).get("email")
    return [email] if email else owners(exposure, loaded)


def page_asset(exposure: dict[str, Any], loaded: dict[str, Any]) -> dg.AssetsDefinition:
    """The asset of one page: its marts upstream; materializing it counts their rows as the
    dashboard's role."""
    marts = page_marts(exposure, loaded)
    spec = dg.AssetSpec(
        key=dg.AssetKey([GROUP, exposure["name"]]),
        description=exposure.get("description") or exposure.get("label"),
        group_name=GROUP,
        deps=[model_key(mart) for mart in marts],
        owners=_exposure_owners(exposure, loaded),
        kinds={"dash"},
        metadata={
            "label": exposure.get("label") or exposure["name"],
            "maturity": exposure.get("maturity") or "",
            **({"url": dg.MetadataValue.url(exposure["url"])} if exposure.get("url") else {}),
        },
    )

    @dg.multi_asset(specs=[spec], name=f"page_{exposure['name']}")
    def page(warehouse: Warehouse) -> Iterator[dg.MaterializeResult]:
        reporter = roles.for_step(warehouse.settings(), "reporter")
        counts: dict[str, int] = {}
        with reporter.session() as connection, connection.cursor() as cursor:
            for mart in marts:
                relation = sql.Identifier(mart["schema"], mart["alias"] or mart["name"])
                cursor.execute(sql.SQL("select count(*) from {}").format(relation))
                counts[mart["name"]] = int(cursor.fetchone()[0])
        yield dg.MaterializeResult(metadata={"rows_per_mart": dg.MetadataValue.json(counts)})

    return page


def dashboard_assets(loaded: dict[str, Any]) -> list[dg.AssetsDefinition]:
    """One asset per dashboard exposure of the project."""
    return [page_asset(exposure, loaded) for exposure in exposures(loaded).values()]
