"""Database roles: who may load, who may transform, and who may only read the marts.

- `dataops_loader` owns the raw schemas (`raw_<source>`, dlt's `raw_<source>_staging`) and
  all dlt creates in them: ingestion loads as it (`for_step(settings, "loader")`);
- `dataops_transformer` reads raw and the run history, owns the dbt schemas and may create
  schemas (a pull request's `ci_pr_<n>`): every dbt command runs as it (`dataops.dbt.environment`
  calls `for_step(settings, "transformer")`);
- `dataops_reporter` reads the marts only, in read-only transactions with a statement timeout.

The warehouse owner (needs CREATEROLE) only prepares, in `ensure_roles`, once per process: the
roles and their logins, each schema owned by the role that builds in it, the run-history tables
(which it writes), objects of an older warehouse handed to their roles, and the reporter's
fences. The marts' `select` comes from dbt (`grants:` in `dbt_project.yml`), re-applied on
every rebuild. Privileges are the fences no session can lift: no write grant, no temporary
tables, no large objects (their functions ignore grants). Read-only transactions and the
timeout come last: PostgreSQL lets any role change its own settings (tried on 15 and 18), so
the owner also sets them `in database` (which outranks the role's own), puts back any the
reporter changed, with a warning, and the dashboard sets both on its connections.
docs/operations.md#roles has the whole picture. A tool for roles and grants (pgbedrock,
Terraform's postgresql provider) would need a run of its own beside the pipeline's; these few
statements run with each command, in ~0.05 s.

Passwords: `DATAOPS_<ROLE>_PASSWORD` (e.g. `DATAOPS_REPORTER_PASSWORD`) when set; otherwise
derived from the owner's password with HMAC-SHA256, so every process that can connect as the
owner arrives at the same password without storing another secret. An owner without a
password (trust authentication) gets random role passwords, kept in `<state>/roles/` (0600).
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

from dataops.core.console import say
from dataops.core.errors import DataOpsError, first_line
from dataops.core.paths import REPO_ROOT, state_dir
from dataops.core.warehouse import WarehouseSettings
from dataops.raw_indexes import ensure_source_indexes

REPORTER_STATEMENT_TIMEOUT = "5s"
REPORTER_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": REPORTER_STATEMENT_TIMEOUT,
}
REPORTER_CONNECTION_LIMIT = 32
DBT_SCHEMAS_FALLBACK = ("staging", "intermediate", "marts", "snapshots", "seeds")
MARTS_SCHEMA = "marts"
OBSERVABILITY_SCHEMA = "observability"
# the functions that create or write a large object (`lo_import` is the superuser's already)
LARGE_OBJECT_WRITERS = (
    "lo_creat(integer)",
    "lo_create(oid)",
    "lo_from_bytea(oid, bytea)",
    "lo_put(oid, bigint, bytea)",
    "lowrite(integer, bytea)",
    "lo_truncate(integer, integer)",
    "lo_truncate64(integer, bigint)",
)

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
        Role("loader", "dataops_loader", "owns the raw schemas; dlt loads as it"),
        Role(
            "transformer",
            "dataops_transformer",
            "reads raw, owns staging, intermediate, marts, snapshots, seeds; dbt builds as it",
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


def is_role(settings: WarehouseSettings) -> bool:
    """True when the settings log in as one of the roles, not as the warehouse owner."""
    return any(settings.user == chosen.name for chosen in ROLES.values())


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


# -- the pipeline's steps ---------------------------------------------------------------------

# per database and owner: the raw schemas this process has prepared
_PREPARED: dict[tuple[str, int, str, str], set[str]] = {}


def for_step(settings: WarehouseSettings, key: str) -> WarehouseSettings:
    """The settings a pipeline step runs with: its role's, once the owner has prepared what
    the role needs (`ensure_roles`; for the transformer also the raw indexes dbt looks rows up
    by, created as their owner, the loader). Settings that already log in as a role are
    returned as they are.

    Once per process and database: the first step pays ~0.1 s, the next nothing.
    """
    chosen = role(key)
    if is_role(settings):
        return settings
    wanted = set(registered_raw_schemas()) if chosen.key == "loader" else set()
    prepared = _PREPARED.get(_owner_key(settings))
    if prepared is None or not wanted <= prepared:
        ensure_roles(settings, sorted(wanted | set(existing_raw_schemas(settings))))
    if chosen.key == "transformer":
        ensure_source_indexes(role_connection(settings, "loader"))
    return role_connection(settings, chosen.key)


def _owner_key(settings: WarehouseSettings) -> tuple[str, int, str, str]:
    return (settings.host, settings.port, settings.dbname, settings.user)


# -- schemas ----------------------------------------------------------------------------------


def registered_raw_schemas() -> list[str]:
    """`raw_<source>` and dlt's `raw_<source>_staging` for every registered source."""
    from ingestion.registry import SOURCES  # imports dlt: a few seconds

    return [schema for name in SOURCES for schema in (f"raw_{name}", f"raw_{name}_staging")]


def existing_raw_schemas(settings: WarehouseSettings) -> list[str]:
    """The raw schemas the warehouse has now (a source no longer registered may have left
    some)."""
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
    """Create or update the three roles, their schemas and privileges, and the run-history
    tables; safe to run again at any time, by several processes at once.

    The raw schemas are `raw_schemas`, created when missing, or else every raw schema the
    warehouse has. What the owner had to put right (settings the reporter changed, large
    objects it stored, a fence the owner may not set) is said as a warning.
    """
    from dataops import observability

    observability.ensure_tables(settings)
    raw = list(raw_schemas) if raw_schemas is not None else existing_raw_schemas(settings)
    built = dbt_schemas()
    for attempt in range(1, 6):
        try:
            with settings.session() as connection, connection.cursor() as cursor:
                notes: list[str] = []
                _check_administered(cursor, settings.user)
                reporter = _reporter_settings(cursor)
                for statement, params in _statements(settings, raw, built, reporter, notes):
                    cursor.execute(statement, params)
                notes += [
                    notice.removeprefix("WARNING:").strip()
                    for notice in connection.notices
                    if notice.startswith("WARNING:")
                ]
            break
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
    for note in notes:
        say(f"warning: {note}")
    _PREPARED.setdefault(_owner_key(settings), set()).update(raw)


def _check_administered(cursor: psycopg2.extensions.cursor, owner: str) -> None:
    """Stop, naming the grant to ask for, when roles exist that an owner with CREATEROLE but
    not a superuser may not manage: since PostgreSQL 16, those it holds no ADMIN OPTION on.
    (Without CREATEROLE, the first statement fails and says to connect with it.)"""
    cursor.execute(_NOT_ADMINISTERED, ([chosen.name for chosen in ROLES.values()],))
    foreign = [name for (name,) in cursor.fetchall()]
    if foreign:
        names = ", ".join(chosen.name for chosen in ROLES.values())
        raise RoleError(
            f"{owner} may not manage the existing roles {', '.join(foreign)} (since PostgreSQL"
            " 16 a role with CREATEROLE manages only the roles it created): ask the database"
            f" administrator to run `grant {names} to {owner} with admin option`"
        )


_NOT_ADMINISTERED = (
    "select rolname from pg_roles where rolname = any(%s)"
    " and current_setting('server_version_num')::int >= 160000"
    " and (select rolcreaterole and not rolsuper from pg_roles where rolname = current_user)"
    " and not pg_has_role(current_user, oid, 'MEMBER WITH ADMIN OPTION')"
    " order by rolname"
)

Statement = tuple[sql.Composable, tuple[object, ...] | None]
Settings = dict[str | None, dict[str, str]]  # database (None: every database) -> name -> value


def _sql(template: str, *parts: sql.Composable, params: tuple[object, ...] | None = None):
    return sql.SQL(template).format(*parts), params


def _statements(
    settings: WarehouseSettings,
    raw: Sequence[str],
    built: Sequence[str],
    reporter: Settings,
    notes: list[str],
) -> list[Statement]:
    owners = {**dict.fromkeys(raw, "loader"), **dict.fromkeys(built, "transformer")}
    return [
        *_role_statements(settings),
        *_reporter_statements(settings.dbname, reporter, notes),
        *_database_statements(settings.dbname),
        *_create_schemas(raw, built),
        _handover(owners),
        *_read_grants(raw),
    ]


def _role_statements(settings: WarehouseSettings) -> list[Statement]:
    """The roles with their logins; the owner a member of the loader and the transformer, so
    it may hand them objects and drop theirs (a superuser needs no membership)."""
    ident = sql.Identifier
    out: list[Statement] = []
    for chosen in ROLES.values():
        out.append(_sql(_CREATE_ROLE, sql.Literal(chosen.name), ident(chosen.name)))
        password = role_password(settings, chosen.key)
        out.append(_sql("alter role {} login password %s", ident(chosen.name), params=(password,)))
        out.append(
            _sql("grant connect on database {} to {}", ident(settings.dbname), ident(chosen.name))
        )
    for key in ("loader", "transformer"):
        administer = sql.SQL(_ADMINISTER).format(
            role=sql.Literal(ROLES[key].name), name=ident(ROLES[key].name)
        )
        out.append((administer, None))
    reporter = ident(ROLES["reporter"].name)
    out.append(
        _sql("alter role {} connection limit %s", reporter, params=(REPORTER_CONNECTION_LIMIT,))
    )
    return out


_CREATE_ROLE = (
    "do $$ begin "
    "if not exists (select from pg_roles where rolname = {}) then create role {} nologin; end if; "
    "exception when duplicate_object or unique_violation then null; end $$"
)
# since PostgreSQL 16 a role's creator may administer it but neither act as it (SET) nor use
# its privileges (USAGE), which handing objects to it and granting on its tables need
_ADMINISTER = (
    "do $$ begin "
    "if not (select rolsuper from pg_roles where rolname = current_user) "
    "and not (pg_has_role(current_user, {role}, 'USAGE') "
    "and (current_setting('server_version_num')::int < 160000 "
    "or pg_has_role(current_user, {role}, 'SET'))) then grant {name} to current_user; end if; "
    "end $$"
)


def _reporter_settings(cursor: psycopg2.extensions.cursor) -> Settings:
    """The reporter's protected settings now: role-wide (None) and per database."""
    cursor.execute(
        "select database.datname, setting.setconfig from pg_db_role_setting as setting"
        " join pg_roles as role on role.oid = setting.setrole"
        " left join pg_database as database on database.oid = setting.setdatabase"
        " where role.rolname = %s",
        (ROLES["reporter"].name,),
    )
    found: Settings = {}
    for database, config in cursor.fetchall():
        pairs = (item.split("=", 1) for item in config or [])
        found[database] = {name: value for name, value in pairs if name in REPORTER_SETTINGS}
    return found


def _reporter_statements(dbname: str, current: Settings, notes: list[str]) -> list[Statement]:
    """Set the reporter's read-only default and statement timeout, role-wide and in this
    database, and take back any other value it gave itself elsewhere."""
    reporter = sql.Identifier(ROLES["reporter"].name)
    out: list[Statement] = []
    for database in {None, dbname, *current}:
        where = (
            sql.SQL(" in database {}").format(sql.Identifier(database)) if database else sql.SQL("")
        )
        found = current.get(database, {})
        for name, wanted in REPORTER_SETTINGS.items():
            value = found.get(name)
            if value == wanted:
                continue
            if value is not None:
                place = f"in database {database}" if database else "for every database"
                notes.append(f"the reporter had set {name} = {value} {place}: put back")
            if database in (None, dbname):
                template = "alter role {}{} set {} = %s"
                out.append(_sql(template, reporter, where, sql.Identifier(name), params=(wanted,)))
            else:
                out.append(_sql("alter role {}{} reset {}", reporter, where, sql.Identifier(name)))
    return out


def _database_statements(dbname: str) -> list[Statement]:
    """The fences of this database: only the transformer creates schemas, only the loader and
    the transformer temporary tables, and nobody a large object (the owner, a superuser)."""
    database = sql.Identifier(dbname)
    loader, transformer = (sql.Identifier(ROLES[key].name) for key in ("loader", "transformer"))
    reporter = sql.Literal(ROLES["reporter"].name)
    writers = ", ".join(f"pg_catalog.{function}" for function in LARGE_OBJECT_WRITERS)
    first_writer = sql.Literal(f"pg_catalog.{LARGE_OBJECT_WRITERS[0]}")
    return [
        _sql("grant create, temporary on database {} to {}", database, transformer),
        _sql("grant temporary on database {} to {}", database, loader),
        _sql(_REVOKE_TEMPORARY, database),
        _sql(_REVOKE_LARGE_OBJECTS, first_writer, sql.SQL(writers), sql.Literal(writers)),
        _sql(_DROP_REPORTER_LARGE_OBJECTS, reporter),
        _sql(_REVOKE_PUBLIC_SCHEMA),
    ]


_REVOKE_TEMPORARY = (
    "do $$ begin "
    "if has_database_privilege('public', current_database(), 'TEMPORARY') then "
    "if (select rolsuper from pg_roles where rolname = current_user) "
    "or pg_has_role(current_user, "
    "(select datdba from pg_database where datname = current_database()), 'MEMBER') then "
    "revoke temporary on database {} from public; "
    "else raise warning 'every role may create temporary tables in this database, the "
    "reporter too: run `dataops db roles` once as the database owner'; end if; end if; end $$"
)
_REVOKE_LARGE_OBJECTS = (
    "do $$ begin "
    "if has_function_privilege('public', {}, 'EXECUTE') then "
    "if (select rolsuper from pg_roles where rolname = current_user) then "
    "revoke execute on function {} from public; "
    "else raise warning 'every role may create large objects in this database, the "
    "reporter too, and only a superuser may take that away: ask the database administrator "
    "to run `revoke execute on function % from public` in database %, or `dataops db roles` "
    "once as a superuser', {}, current_database(); end if; end if; end $$"
)
_DROP_REPORTER_LARGE_OBJECTS = (
    "do $$ declare stored oid; begin "
    "for stored in select oid from pg_largeobject_metadata where lomowner = "
    "(select oid from pg_roles where rolname = {}) loop "
    "perform lo_unlink(stored); "
    "raise warning 'removed the large object % the reporter had stored', stored; end loop; "
    "exception when insufficient_privilege then "
    "raise warning 'the reporter owns large objects only a superuser can remove'; end $$"
)
# PostgreSQL 15 and later no longer let everyone create in `public`; older servers do
_REVOKE_PUBLIC_SCHEMA = (
    "do $$ begin if current_setting('server_version_num')::int < 150000 then "
    "revoke create on schema public from public; end if; "
    "exception when insufficient_privilege then "
    "raise warning 'everyone may still create in schema public'; end $$"
)


def _create_schemas(raw: Sequence[str], built: Sequence[str]) -> list[Statement]:
    """Each schema, owned by the role that builds in it, so dlt and dbt never create one."""
    ident = sql.Identifier
    out: list[Statement] = []
    for schemas, key in ((raw, "loader"), (built, "transformer")):
        owner = ident(ROLES[key].name)
        for schema in schemas:
            template = "create schema if not exists {} authorization {}"
            out.append(_sql(template, ident(schema), owner))
    return out


def _read_grants(raw: Sequence[str]) -> list[Statement]:
    """The transformer reads the raw tables (not dlt's staging copies) and the run history,
    those there now and those their creators make later; the reporter finds the marts."""
    ident = sql.Identifier
    loader, transformer, reporter = (ident(chosen.name) for chosen in ROLES.values())
    loaded = [schema for schema in raw if not _is_dlt_staging(schema, raw)]
    readable = [(schema, loader) for schema in loaded]
    readable.append((OBSERVABILITY_SCHEMA, sql.SQL("current_user")))
    out: list[Statement] = []
    for schema, creator in readable:
        out += [
            _sql("grant usage on schema {} to {}", ident(schema), transformer),
            _sql("grant select on all tables in schema {} to {}", ident(schema), transformer),
            _sql(
                "alter default privileges for role {} in schema {} grant select on tables to {}",
                creator,
                ident(schema),
                transformer,
            ),
        ]
    # the reporter's way into the marts; the tables themselves are granted by dbt
    out.append(_sql("grant usage on schema {} to {}", ident(MARTS_SCHEMA), reporter))
    return out


def _is_dlt_staging(schema: str, raw: Sequence[str]) -> bool:
    return schema.endswith("_staging") and schema.removesuffix("_staging") in raw


def _handover(owners: dict[str, str]) -> Statement:
    """Each schema, and every table, view and sequence in it, handed to the schema's role (a
    warehouse built before the roles ran the pipeline holds the owner's); a catalogue lookup
    when there is nothing to hand. What the owner may not hand is said as a warning."""
    pairs = sql.SQL(", ").join(
        sql.SQL("({}, {})").format(sql.Literal(schema), sql.Literal(ROLES[key].name))
        for schema, key in owners.items()
    )
    return _sql(_HANDOVER, pairs)


_HANDOVER = (
    "do $$ declare found record; begin "
    "for found in with wanted (schema, owner) as (values {}) "
    "select 0 as step, format('schema %I', namespace.nspname) as object, wanted.owner "
    "from pg_namespace as namespace join wanted on wanted.schema = namespace.nspname "
    "where namespace.nspowner <> (select oid from pg_roles where rolname = wanted.owner) "
    "union all "
    "select 1, format('%s %I.%I', case relation.relkind when 'v' then 'view' "
    "when 'm' then 'materialized view' when 'S' then 'sequence' "
    "when 'f' then 'foreign table' else 'table' end, namespace.nspname, relation.relname), "
    "wanted.owner from pg_class as relation "
    "join pg_namespace as namespace on namespace.oid = relation.relnamespace "
    "join wanted on wanted.schema = namespace.nspname "
    "where relation.relkind in ('r', 'p', 'v', 'm', 'S', 'f') "
    "and relation.relowner <> (select oid from pg_roles where rolname = wanted.owner) "
    # a sequence a column owns follows its table
    "and not (relation.relkind = 'S' and exists (select from pg_depend as dependency "
    "where dependency.classid = 'pg_class'::regclass and dependency.objid = relation.oid "
    "and dependency.deptype in ('a', 'i'))) "
    "order by step "
    "loop begin execute format('alter %s owner to %I', found.object, found.owner); "
    "exception when insufficient_privilege then "
    "raise warning 'cannot hand % to %: %', found.object, found.owner, sqlerrm; end; "
    "end loop; end $$"
)


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
