{#- The time dbt stamps a snapshot with when it has no `updated_at` of a record to use (a
    record it invalidates as deleted, the `check` strategy). dbt-postgres makes it a
    `timestamp without time zone`; this project's snapshots keep their versions in
    `timestamptz` (from `updated_at`), so its own time is one too: comparable with the
    others without the session's time zone, and dbt's check that the two agree holds (it
    warned on every build that took a snapshot). -#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
