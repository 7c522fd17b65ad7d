"""Database roles: who may load, who may transform, and who may only read the marts.

- `dataops_loader` reads and writes the raw schemas (`raw_<source>`, dlt's
  `raw_<source>_staging`);
- `dataops_transformer` reads the raw schemas and creates in the dbt schemas (staging,
  intermediate, marts, snapshots, seeds);
- `dataops_reporter` reads the marts and nothing else, in read-only transactions with a
  statement timeout.

`ensure_roles` creates the roles and their privileges and can run any number of times (the
CLI: `dataops db roles`; `dataops dashboard` runs it before serving). The connection it gets
is the warehouse owner's, which needs the CREATEROLE attribute. dbt creates the reporter
role, without a login, when a build finds it missing (`create_missing_roles`), so its grants
never fail on a fresh server.

The reporter's read access to each mart comes from dbt (`grants:` in `dbt_project.yml`), so
dbt re-applies it whenever it rebuilds a table, a full refresh included; `ensure_roles` only
gives it the way into the `marts` schema. Read-only transactions are a second fence, not the
first: a session can switch them off, its grants it cannot.

Ingestion and dbt still run as the owner. The loader and the transformer hold what a
deployment that logs them in separately needs to start from an empty database; objects the
owner already created stay the owner's.

Passwords: `DATAOPS_<ROLE>_PASSWORD` (e.g. `DATAOPS_REPORTER_PASSWORD`) when set; otherwise
derived from the owner's password with HMAC-SHA256, so every process that can connect as the
owner (the CLI, the dashboard server, the tests) arrives at the same password without storing
another secret, and the embedded server's role passwords follow its password file in the
state folder. An owner without a password (trust authentication) gets random role passwords,
kept in `<state>/roles/` (mode 0600).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg2
import yaml
from psycopg2 import sql

from dataops.core.errors import DataOpsError, first_line
from dataops.core.paths import REPO_ROOT, state_dir
from dataops.core.warehouse import WarehouseSettings

REPORTER_STATEMENT_TIMEOUT = "5s"
REPORTER_CONNECTION_LIMIT = 32
DBT_SCHEMAS_FALLBACK = ("staging", "intermediate", "marts", "snapshots", "seeds")
MARTS_SCHEMA = "marts"

# errors two processes creating the same role at once can meet; the loser tries again
_RACE_CODES = {"23505", "42710", "40001", "40P01", "XX000"}


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    purpose: str


ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role("loader", "dataops_loader", "writes the raw schemas"),
        Role(
            "transformer",
            "dataops_transformer",
            "reads raw, creates in staging, intermediate, marts, snapshots, seeds",
        ),
        Role(
            "reporter",
            "dataops_reporter",
            f"reads the marts only; read-only, statement timeout {REPORTER_STATEMENT_TIMEOUT}",
        ),
    )
}


class RoleError(DataOpsError):
    """A role cannot be created or used; the message says what to fix."""


def role(key: str) -> Role:
    """A role by its short name (`reporter`) or its database name (`dataops_reporter`)."""
    for candidate in ROLES.values():
        if key in (candidate.key, candidate.name):
            return candidate
    raise RoleError(f"unknown role {key!r}; choose from {', '.join(ROLES)}")


# -- passwords --------------------------------------------------------------------------------


def role_password(settings: WarehouseSettings, key: str) -> str:
    """The password of a role, as every process with the owner's connection arrives at it."""
    chosen = role(key)
    configured = os.environ.get(f"DATAOPS_{chosen.key.upper()}_PASSWORD")
    if configured:
        return configured
    if settings.password:
        digest = hmac.new(
            settings.password.encode(), f"dataops role {chosen.name}".encode(), hashlib.sha256
        ).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]
    return _stored_password(chosen)


def _stored_password(chosen: Role) -> str:
    folder = state_dir() / "roles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chosen.name}.password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def role_connection(settings: WarehouseSettings, key: str) -> WarehouseSettings:
    """The connection settings for a role, from the owner's (same server and database)."""
    chosen = role(key)
    return replace(
        settings,
        user=chosen.name,
        password=role_password(settings, chosen.key),
        origin=f"{settings.origin}, role {chosen.name}",
    )


# -- schemas ----------------------------------------------------------------------------------


def registered_raw_schemas() -> list[str]:
    """`raw_<source>` and dlt's `raw_<source>_staging` for every registered source."""
    from ingestion.registry import SOURCES  # imports dlt: a few seconds

    return [schema for name in SOURCES for schema in (f"raw_{name}", f"raw_{name}_staging")]


def existing_raw_schemas(settings: WarehouseSettings) -> list[str]:
    """The raw schemas the warehouse has now (dlt creates them on a source's first load)."""
    with settings.session() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select nspname from pg_namespace where nspname like %s order by nspname",
            ("raw\\_%",),
        )
        return [name for (name,) in cursor.fetchall()]


def dbt_schemas(project_dir: Path = REPO_ROOT) -> list[str]:
    """The schemas the production target builds into (`+schema:` in dbt_project.yml)."""
    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return list(DBT_SCHEMAS_FALLBACK)
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "+schema" and isinstance(value, str) and value not in found:
                    found.append(value)
                else:
                    walk(value)

    for section in ("models", "snapshots", "seeds"):
        walk(project.get(section))
    return found or list(DBT_SCHEMAS_FALLBACK)


# -- ensure -----------------------------------------------------------------------------------


def ensure_roles(settings: WarehouseSettings, raw_schemas: Sequence[str] | None = None) -> None:
    """Create or update the three roles and their privileges; safe to run again at any time.

    The loader and the transformer are granted on `raw_schemas`, created when missing, or
    else on every raw schema the warehouse has.
    """
    raw = list(raw_schemas) if raw_schemas is not None else existing_raw_schemas(settings)
    statements = _statements(settings, raw, dbt_schemas())
    for attempt in range(1, 6):
        try:
            with settings.session() as connection, connection.cursor() as cursor:
                for statement, params in statements:
                    cursor.execute(statement, params)
            return
        except psycopg2.Error as exc:
            if exc.pgcode in _RACE_CODES and attempt < 5:
                time.sleep(0.2 * attempt)
                continue
            if exc.pgcode == "42501":
                raise RoleError(
                    f"cannot create the dataops roles as {settings.user}: "
                    f"{first_line(exc)}; connect as a user with CREATEROLE"
                ) from None
            raise


Statement = tuple[sql.Composable, tuple[object, ...]]


def _statements(
    settings: WarehouseSettings, raw: Sequence[str], built: Sequence[str]
) -> list[Statement]:
    ident = sql.Identifier
    loader, transformer, reporter = (
        ROLES["loader"].name,
        ROLES["transformer"].name,
        ROLES["reporter"].name,
    )
    out: list[Statement] = []

    def add(template: str, *parts: sql.Composable, params: tuple[object, ...] = ()) -> None:
        out.append((sql.SQL(template).format(*parts), params))

    for chosen in ROLES.values():
        out.append((_create_role_if_missing(chosen.name), ()))
        add(
            "alter role {} login password %s",
            ident(chosen.name),
            params=(role_password(settings, chosen.key),),
        )
        add("grant connect on database {} to {}", ident(settings.dbname), ident(chosen.name))

    add("alter role {} connection limit %s", ident(reporter), params=(REPORTER_CONNECTION_LIMIT,))
    add("alter role {} set default_transaction_read_only = on", ident(reporter))
    add(
        "alter role {} set statement_timeout = %s",
        ident(reporter),
        params=(REPORTER_STATEMENT_TIMEOUT,),
    )
    # PostgreSQL 15 and later no longer let everyone create in `public`; older servers do
    out.append(
        (
            sql.SQL(
                "do $$ begin if current_setting('server_version_num')::int < 150000 then "
                "revoke create on schema public from public; end if; "
                "exception when insufficient_privilege then "
                "raise warning 'everyone may still create in schema public'; end $$"
            ),
            (),
        )
    )

    for schema in [*raw, *built]:
        add("create schema if not exists {}", ident(schema))

    for schema in raw:
        add("grant usage, create on schema {} to {}", ident(schema), ident(loader))
        add(
            "grant select, insert, update, delete, truncate, references"
            " on all tables in schema {} to {}",
            ident(schema),
            ident(loader),
        )
        add(
            "grant usage, select, update on all sequences in schema {} to {}",
            ident(schema),
            ident(loader),
        )
        add(
            "alter default privileges in schema {} grant select, insert, update, delete,"
            " truncate, references on tables to {}",
            ident(schema),
            ident(loader),
        )
        add("grant usage on schema {} to {}", ident(schema), ident(transformer))
        add("grant select on all tables in schema {} to {}", ident(schema), ident(transformer))
        add(
            "alter default privileges in schema {} grant select on tables to {}",
            ident(schema),
            ident(transformer),
        )

    for schema in built:
        add("grant usage, create on schema {} to {}", ident(schema), ident(transformer))

    # the reporter's way into the marts; the tables themselves are granted by dbt
    add("grant usage on schema {} to {}", ident(MARTS_SCHEMA), ident(reporter))
    return out


def _create_role_if_missing(name: str) -> sql.Composable:
    return sql.SQL(
        "do $$ begin "
        "if not exists (select from pg_roles where rolname = {name_literal}) then "
        "create role {name} nologin; end if; "
        "exception when duplicate_object or unique_violation then null; end $$"
    ).format(name_literal=sql.Literal(name), name=sql.Identifier(name))


# -- what `dataops db roles` prints -------------------------------------------------------------


def describe(settings: WarehouseSettings, *, show_password: bool = False) -> list[str]:
    """One line per role: its name, what it may do, and how to connect as it."""
    lines = []
    for chosen in ROLES.values():
        url = role_connection(settings, chosen.key).url(hide_password=not show_password)
        lines.append(f"{chosen.name:<20} {chosen.purpose}\n{'':<20} {url}")
    return lines


def prepare(settings: WarehouseSettings, *, show_password: bool = False) -> list[str]:
    """`dataops db roles`: ensure the roles (and every registered source's raw schemas, so a
    loader logging in on its own can start from an empty database); then how to connect as
    each, one `describe` line per role."""
    ensure_roles(settings, sorted({*registered_raw_schemas(), *existing_raw_schemas(settings)}))
    return describe(settings, show_password=show_password)
