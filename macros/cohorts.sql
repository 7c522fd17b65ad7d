{#- What an incremental `rpt_customer_cohorts` rebuilds, read when the model runs. A row is a
    cohort (month of the first order, the customer's current country, first channel) in an
    activity month; it changes when an order of that month changes or when the cohort's
    customers change. So it rebuilds:

    - every cohort's months from the month of the oldest order changed since `changed_since`
      (new orders, late status changes and refunds, a new month's first rows); a new
      customer's first order is one of those orders, so the cohort they joined is rebuilt
      whole;
    - every month of the older cohorts whose customers changed since: both cohorts of a
      customer who moved to another country (`moved_in_snapshot`), and, for a customer whose
      record arrived after their orders (counted under 'unknown' until then), the 'unknown'
      cohort and their country's. That second kind is looked for only in the months and
      channels that have an 'unknown' cohort in the table: a customer's first version in the
      snapshot is otherwise no sign of a change (a snapshot's first run opens one for every
      customer).

    A cohort a move emptied has no rows to insert, so the model deletes what it rebuilds
    itself, first (`delete_rebuilt_cohorts`, a pre-hook), and appends. A dict: `from_month` (a
    date literal, null when no order changed) and `cohorts` (a `values` list of cohort month,
    country and channel); none in a full build; in a unit test, subqueries over the same refs.
    Filter with `in_rebuilt_cohorts`. -#}
{% macro cohorts_to_rebuild(changed_since) -%}
    {#- the orders are found by the index on `updated_at` first: `min()` over the whole table
        would walk the index on `order_date` from the oldest day, and the changed orders are
        among the newest (0.4 s instead of 0.01 at 1M orders) -#}
    {%- set months_query -%}
        select {{ month_start('min(changed_orders.order_date)') }} as from_month
        from (
            select orders.order_date
            from {{ ref('fct_orders') }} as orders
            where orders.updated_at >= {{ changed_since }}
            offset 0
        ) as changed_orders
    {%- endset -%}
    {%- set cohorts_query -%}
        select cohorts.cohort_month, moves.country_code, cohorts.first_channel
        from (
            {{ moved_in_snapshot(
                ref('snp_shop__customers'), 'customer_id', 'country_code', changed_since
            ) }}
        ) as moves
        inner join {{ ref('int_customers_assigned_to_cohorts') }} as cohorts
            on moves.customer_id = cohorts.customer_id

        union

        select cohorts.cohort_month, countries.country_code, cohorts.first_channel
        from {{ ref('snp_shop__customers') }} as first_versions
        inner join {{ ref('int_customers_assigned_to_cohorts') }} as cohorts
            on first_versions.customer_id = cohorts.customer_id
        cross join lateral (
            values ('unknown'), (coalesce(first_versions.country_code, 'unknown'))
        ) as countries (country_code)
        where
            first_versions.dbt_valid_from >= {{ changed_since }}
            and exists (
                select from {{ this }} as unknown_cohorts
                where
                    unknown_cohorts.country_code = 'unknown'
                    and unknown_cohorts.cohort_month = cohorts.cohort_month
                    and unknown_cohorts.first_channel = cohorts.first_channel
            )
            and not exists (
                select from {{ ref('snp_shop__customers') }} as earlier_versions
                where
                    earlier_versions.customer_id = first_versions.customer_id
                    and earlier_versions.dbt_valid_from < first_versions.dbt_valid_from
            )
    {%- endset -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- elif not execute or model.resource_type == 'unit_test' -%}
        {{ return({
            'from_month': '(' ~ months_query ~ ')',
            'cohorts': '(' ~ cohorts_query ~ ')',
        }) }}
    {%- endif -%}
    {%- set from_month = run_query(months_query).columns[0].values()[0] -%}
    {%- set rows = [] -%}
    {%- for cohort in run_query(cohorts_query).rows -%}
        {#- the cohorts of the months rebuilt for every cohort need no listing -#}
        {%- if from_month is none or cohort[0] < from_month -%}
            {%- do rows.append('(cast(' ~ dbt.string_literal(cohort[0].isoformat())
                ~ ' as date), ' ~ dbt.string_literal(cohort[1]) ~ ', '
                ~ dbt.string_literal(cohort[2]) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({
        'from_month': 'cast(' ~ (dbt.string_literal(from_month.isoformat())
            if from_month is not none else 'null') ~ ' as date)',
        'cohorts': '(values ' ~ (rows | sort | join(', ')
            or '(cast(null as date), cast(null as text), cast(null as text))') ~ ')',
    }) }}
{%- endmacro %}

{#- The rows of `rebuild` (a `cohorts_to_rebuild`), given the expressions of their activity
    month and of their cohort (cohort month, country, first channel): their month is rebuilt
    for every cohort, or their cohort in every month. `true` in a full build. -#}
{% macro in_rebuilt_cohorts(
    rebuild, month, cohort='cohort_month, country_code, first_channel'
) -%}
    {%- if rebuild is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(
        '(' ~ month ~ ' >= ' ~ rebuild.from_month ~ ' or (' ~ cohort ~ ') in '
        ~ rebuild.cohorts ~ ')'
    ) }}
{%- endmacro %}

{#- The pre-hook of `rpt_customer_cohorts`: delete the rows it is about to rebuild, in the
    transaction that appends them again. Nothing in a full build. -#}
{% macro delete_rebuilt_cohorts() -%}
    {%- if not is_incremental() or model.resource_type == 'unit_test' -%}
        {{ return('') }}
    {%- endif -%}
    {#- the table keeps the months since the cohort month, not the activity month -#}
    delete from {{ this }}
    where {{ in_rebuilt_cohorts(
        cohorts_to_rebuild(lookback_start('updated_at')),
        dbt.dateadd('month', 'months_since_first_order', 'cohort_month')
    ) }}
{%- endmacro %}
