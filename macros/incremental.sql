{#- Where an incremental model's rebuild starts: the newest value of `cursor_column` in the
    model's table (among its rows matching `where`, when given), less
    `incremental_lookback_days` (and `days_before` more, for inputs that reach further back
    than the rows rebuilt). Everything changed since is read again.

    It is rendered as a literal, read from the table when the model runs, so the database
    plans the rebuild knowing how few rows changed; as a subquery it would guess a third of
    the table and read everything. In a unit test (whose `this` is a fixture) it stays a
    subquery; a full build gets null (and does not use it). -#}
{% macro lookback_start(cursor_column, days_before=0, where=none) -%}
    {%- set newest = add_days(
        'max(' ~ cursor_column ~ ')', -(var('incremental_lookback_days') + days_before)
    ) -%}
    {%- set query = 'select ' ~ newest ~ ' from ' ~ this ~ (' where ' ~ where if where else '') -%}
    {%- if not is_incremental() -%}
        {{ return('cast(null as ' ~ dbt.type_timestamp() ~ ')') }}
    {%- elif execute and model.resource_type != 'unit_test' -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        {%- if value is none -%}
            {{ return('cast(null as ' ~ dbt.type_timestamp() ~ ')') }}
        {%- endif -%}
        {{ return(dbt.string_literal(value.isoformat())) }}
    {%- else -%}
        {{ return('(' ~ query ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- The days an incremental rollup of orders rebuilds, as a list of date literals read when
    the model runs (so each day's rows are found by an index on the day, not by reading every
    fact first): every day with an order line changed since `changed_since` (new orders, late
    status changes and refunds); with `moved_customers`, every day with an order of a customer
    who moved to another country since (rollups by country: the country comes from the
    customer); with `changed_products`, every day a product renamed or recategorised since was
    sold on (rollups by product); and the days `more_days` selects (a query of one date
    column), for what else a rollup reads. None in a full build; in a unit test, a subquery
    over the same refs. -#}
{% macro sales_days_to_rebuild(
    changed_since, moved_customers=true, changed_products=true, more_days=none
) -%}
    {#- rendered in every build, so dbt sees the refs when it parses the models -#}
    {%- set query -%}
        select distinct order_items.order_date as sales_date
        from {{ ref('fct_order_items') }} as order_items
        where order_items.updated_at >= {{ changed_since }}
        {%- if moved_customers %}

        union

        select orders.order_date as sales_date
        from {{ ref('fct_orders') }} as orders
        where orders.customer_id in (
            {{ changed_in_snapshot(
                ref('snp_shop__customers'), 'customer_id', ['country_code'], changed_since
            ) }}
        )
        {%- endif %}
        {%- if changed_products %}

        union

        select order_items.order_date as sales_date
        from {{ ref('fct_order_items') }} as order_items
        where order_items.product_id in (
            {{ changed_in_snapshot(
                ref('snp_shop__products'), 'product_id', ['product_name', 'category'],
                changed_since
            ) }}
        )
        {%- endif %}
        {%- if more_days %}

        union

        {{ more_days }}
        {%- endif %}
    {%- endset -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- elif not execute or model.resource_type == 'unit_test' -%}
        {{ return('(' ~ query ~ ')') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for day in run_query(query).columns[0].values() | reject('none') | sort -%}
        {%- do literals.append(dbt.string_literal(day.isoformat())) -%}
    {%- endfor -%}
    {#- nothing changed: a list that matches no day -#}
    {{ return('(' ~ (literals | join(', ') or 'cast(null as date)') ~ ')') }}
{%- endmacro %}

{#- The keys of a snapshot whose version valid since `changed_since` differs from the version
    before it in any of `columns`: `select <key> from …`, for an `in (…)` list. -#}
{% macro changed_in_snapshot(snapshot, key, columns, changed_since) -%}
    select later_versions.{{ key }}
    from {{ snapshot }} as later_versions
    inner join {{ snapshot }} as earlier_versions
        on
            later_versions.{{ key }} = earlier_versions.{{ key }}
            and later_versions.dbt_valid_from = earlier_versions.dbt_valid_to
    where
        later_versions.dbt_valid_from >= {{ changed_since }}
        and (
            {%- for column in columns %}
            {{ 'or ' if not loop.first }}later_versions.{{ column }}
                is distinct from earlier_versions.{{ column }}
            {%- endfor %}
        )
{%- endmacro %}

{#- A post-hook: `analyze` the model's table when it has no statistics yet (a table a full
    build has just created), so the queries after it plan well from the first one. After an
    incremental build the table keeps the statistics it had, which its rebuilt days barely
    change; autovacuum refreshes them once enough rows changed, instead of every build
    reading the whole table again. -#}
{% macro analyze_when_new() -%}
    do $analyze$
    begin
        if not exists (
            select from pg_catalog.pg_stats
            where
                schemaname = {{ dbt.string_literal(this.schema) }}
                and tablename = {{ dbt.string_literal(this.identifier) }}
        ) then
            analyze {{ this }};
        end if;
    end
    $analyze$
{%- endmacro %}
