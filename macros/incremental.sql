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
    status changes and refunds); with `changed_products`, every day a product renamed or
    recategorised since was sold on (rollups by product); and the days `more_days` selects (a
    query of one date column), for what else a rollup reads. A rollup by country also
    rebuilds the slices a customer's move changed (`sales_slices_to_rebuild`). None in a full
    build; in a unit test, a subquery over the same refs. -#}
{% macro sales_days_to_rebuild(changed_since, changed_products=true, more_days=none) -%}
    {#- rendered in every build, so dbt sees the refs when it parses the models -#}
    {%- set query = sales_days_query(changed_since, changed_products, more_days) -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- elif not execute or model.resource_type == 'unit_test' -%}
        {{ return('(' ~ query ~ ')') }}
    {%- endif -%}
    {{ return(date_list(run_query(query).columns[0].values())) }}
{%- endmacro %}

{#- The query of `sales_days_to_rebuild`: one date column. -#}
{% macro sales_days_query(changed_since, changed_products, more_days) -%}
    select distinct order_items.order_date as sales_date
    from {{ ref('fct_order_items') }} as order_items
    where order_items.updated_at >= {{ changed_since }}
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
{%- endmacro %}

{#- Dates as an SQL list of literals, `(…)`, sorted, once each; empty, a list that matches no
    day. -#}
{% macro date_list(dates) -%}
    {%- set literals = [] -%}
    {%- for day in dates | reject('none') | unique | sort -%}
        {%- do literals.append(dbt.string_literal(day.isoformat())) -%}
    {%- endfor -%}
    {{ return('(' ~ (literals | join(', ') or 'cast(null as date)') ~ ')') }}
{%- endmacro %}

{#- What an incremental rollup by day and country rebuilds, read when the model runs: the
    whole days of `sales_days_to_rebuild` and, for each customer who moved to another
    country since `changed_since`, the slice of every day they ordered on for the country
    they left and for the one they moved to. (A move changes only those two slices of a day;
    rebuilding whole days for it rewrote every day the customer had ever ordered on.) A slice
    the move emptied yields no rows to insert, so `delete+insert` could never remove it: the
    rollup deletes what it rebuilds itself, first (`delete_rebuilt_slices`, a pre-hook), and
    appends. A dict: `days` (as `sales_days_to_rebuild`), `slices` (a `values` list of day and
    country) and `dates` (every day either touches, for the index on the day); none in a full
    build. Filter with `in_rebuilt_slices`. -#}
{% macro sales_slices_to_rebuild(changed_since, changed_products=true) -%}
    {%- set days_query = sales_days_query(changed_since, changed_products, none) -%}
    {%- set slices_query -%}
        select distinct orders.order_date as sales_date, moves.country_code
        from {{ ref('fct_orders') }} as orders
        inner join (
            {{ moved_in_snapshot(
                ref('snp_shop__customers'), 'customer_id', 'country_code', changed_since
            ) }}
        ) as moves
            on orders.customer_id = moves.customer_id
    {%- endset -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- elif not execute or model.resource_type == 'unit_test' -%}
        {{ return({
            'days': '(' ~ days_query ~ ')',
            'slices': '(' ~ slices_query ~ ')',
            'dates': '(select sales_date from (' ~ slices_query ~ ') as slices union '
                ~ days_query ~ ')',
        }) }}
    {%- endif -%}
    {%- set days = run_query(days_query).columns[0].values() | list -%}
    {%- set slices = run_query(slices_query).rows | selectattr(0) | list -%}
    {%- set rows = [] -%}
    {%- for slice in slices -%}
        {%- do rows.append('(cast(' ~ dbt.string_literal(slice[0].isoformat()) ~ ' as date), '
            ~ dbt.string_literal(slice[1]) ~ ')') -%}
    {%- endfor -%}
    {{ return({
        'days': date_list(days),
        'slices': '(values ' ~ (rows | join(', ')
            or '(cast(null as date), cast(null as text))') ~ ')',
        'dates': date_list(days + slices | map(attribute=0) | list),
    }) }}
{%- endmacro %}

{#- The rows of `rebuild` (a `sales_slices_to_rebuild`): their day (`date_column`) is one of
    its whole days, or their day and country (`country_column`, null read as 'unknown', as
    the rollups group it) one of its slices. `true` in a full build. -#}
{% macro in_rebuilt_slices(date_column, country_column, rebuild) -%}
    {%- if rebuild is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(
        date_column ~ ' in ' ~ rebuild.dates ~ ' and (' ~ date_column ~ ' in ' ~ rebuild.days
        ~ ' or (' ~ date_column ~ ', coalesce(' ~ country_column ~ ", 'unknown')) in "
        ~ rebuild.slices ~ ')'
    ) }}
{%- endmacro %}

{#- A pre-hook of a rollup by day and country: delete the rows it is about to rebuild (its
    `sales_slices_to_rebuild` from the newest `date_column` less the lookback window, with the
    same arguments as the model's), in the transaction that appends them again. Nothing in a
    full build. -#}
{% macro delete_rebuilt_slices(date_column, changed_products=true) -%}
    {%- if not is_incremental() or model.resource_type == 'unit_test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rebuild = sales_slices_to_rebuild(
        lookback_start(date_column), changed_products=changed_products
    ) -%}
    delete from {{ this }}
    where {{ in_rebuilt_slices(date_column, 'country_code', rebuild) }}
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

{#- The keys of a snapshot whose `column` changed in a version valid since `changed_since`,
    each with the value before and the value after the change (null read as 'unknown'):
    `select <key>, <column> from …`, two rows per change. -#}
{% macro moved_in_snapshot(snapshot, key, column, changed_since) -%}
    select later_versions.{{ key }}, coalesce(versions.{{ column }}, 'unknown') as {{ column }}
    from {{ snapshot }} as later_versions
    inner join {{ snapshot }} as earlier_versions
        on
            later_versions.{{ key }} = earlier_versions.{{ key }}
            and later_versions.dbt_valid_from = earlier_versions.dbt_valid_to
    cross join lateral (
        values (earlier_versions.{{ column }}), (later_versions.{{ column }})
    ) as versions ({{ column }})
    where
        later_versions.dbt_valid_from >= {{ changed_since }}
        and later_versions.{{ column }} is distinct from earlier_versions.{{ column }}
{%- endmacro %}

{#- A post-hook of every table, incremental model and snapshot (`dbt_project.yml`): `analyze`
    its table when it has no statistics yet (a table a full build has just created), so the
    tests and models after it plan well from the first query, instead of with PostgreSQL's
    default guesses until autovacuum comes round (a window of recent rows guessed at a third
    of the table is read by a scan of all of it). After an incremental build the table keeps
    the statistics it had, which its rebuilt rows barely change; autovacuum refreshes them
    once enough rows changed, instead of every build reading the whole table again. Nothing
    for a view. -#}
{% macro analyze_when_new() -%}
    {%- if config.get('materialized') not in ('table', 'incremental', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
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
