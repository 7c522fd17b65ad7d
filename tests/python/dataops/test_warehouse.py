"""Which PostgreSQL the project resolves to, and the embedded server's lifecycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataops.core.warehouse import EmbeddedPostgres, WarehouseUnavailable, free_port, resolve


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAOPS_STATE_DIR", str(tmp_path))
    return monkeypatch


def test_database_url_wins(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://ann:s%40cret@db.example:6543/shop")
    clean_env.setenv("PGHOST", "ignored")
    settings = resolve()
    assert (settings.host, settings.port, settings.user, settings.password, settings.dbname) == (
        "db.example",
        6543,
        "ann",
        "s@cret",
        "shop",
    )
    assert settings.origin == "DATABASE_URL"
    assert settings.url(hide_password=True) == "postgresql://ann:****@db.example:6543/shop"
    assert settings.dbt_env()["DBT_ENV_SECRET_PG_PASSWORD"] == "s@cret"


def test_pg_variables_are_used_without_database_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PGHOST", "pg.internal")
    clean_env.setenv("PGPORT", "5999")
    clean_env.setenv("PGUSER", "bob")
    clean_env.setenv("PGDATABASE", "dwh")
    settings = resolve()
    assert (settings.host, settings.port, settings.user, settings.dbname, settings.origin) == (
        "pg.internal",
        5999,
        "bob",
        "dwh",
        "PG* variables",
    )


def test_malformed_database_url_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(WarehouseUnavailable, match="postgresql://user:password@host:port/dbname"):
        resolve()


def test_embedded_server_starts_keeps_data_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAOPS_PG_PORT", str(free_port()))
    server = EmbeddedPostgres(tmp_path / "pg")
    try:
        port = server.start()
        assert server.start() == port  # already running: same server
        settings = server.settings()
        with settings.connect() as connection, connection.cursor() as cursor:
            cursor.execute("create table kept (x int); insert into kept values (42)")
        assert server.stop() is True
        assert server.running_port() is None
        assert server.stop() is False
        server.start()
        with server.settings().session() as connection, connection.cursor() as cursor:
            cursor.execute("select x from kept")
            assert cursor.fetchone() == (42,)
    finally:
        server.stop()


def test_embedded_server_refuses_a_wrong_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAOPS_PG_PORT", str(free_port()))
    server = EmbeddedPostgres(tmp_path / "pg")
    try:
        server.start()
        from dataclasses import replace

        wrong = replace(server.settings(), password="not-the-password")
        with pytest.raises(WarehouseUnavailable, match="password authentication failed"):
            wrong.connect()
    finally:
        server.stop()


def test_embedded_server_in_a_relative_folder_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAOPS_PG_PORT", str(free_port()))
    monkeypatch.chdir(tmp_path)
    server = EmbeddedPostgres(Path("relative") / "pg")
    try:
        server.start()
        with server.settings().session() as connection, connection.cursor() as cursor:
            cursor.execute("select 1")
            assert cursor.fetchone() == (1,)
        assert (tmp_path / "relative" / "pg" / "data" / "PG_VERSION").exists()
    finally:
        server.stop()
