{#- Where an incremental model's rebuild starts: the newest value of `cursor_column` in the
    model's table, less `incremental_lookback_days` (and `days_before` more, for inputs that
    reach further back than the rows rebuilt). Everything changed since is read again.

    It is rendered as a literal, read from the table when the model runs, so the database
    plans the rebuild knowing how few rows changed; as a subquery it would guess a third of
    the table and read everything. In a unit test (whose `this` is a fixture) it stays a
    subquery; a full build gets null (and does not use it). -#}
{% macro lookback_start(cursor_column, days_before=0) -%}
    {%- set newest = add_days(
        'max(' ~ cursor_column ~ ')', -(var('incremental_lookback_days') + days_before)
    ) -%}
    {%- if not is_incremental() -%}
        {{ return('cast(null as ' ~ dbt.type_timestamp() ~ ')') }}
    {%- elif execute and model.resource_type != 'unit_test' -%}
        {%- set value = run_query('select ' ~ newest ~ ' from ' ~ this).columns[0].values()[0] -%}
        {%- if value is none -%}
            {{ return('cast(null as ' ~ dbt.type_timestamp() ~ ')') }}
        {%- endif -%}
        {{ return(dbt.string_literal(value.isoformat())) }}
    {%- else -%}
        {{ return('(select ' ~ newest ~ ' from ' ~ this ~ ')') }}
    {%- endif -%}
{%- endmacro %}
