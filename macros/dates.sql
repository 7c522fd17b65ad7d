{#- Date arithmetic the models share. Each macro dispatches on the adapter, so a model never
    holds engine-specific SQL: moving to another engine means adding `<adapter>__` versions
    here, not editing models. The defaults use dbt's cross-database macros. -#}

{#- The calendar day (UTC) of a timestamp with time zone. -#}
{% macro utc_date(timestamp_expression) -%}
    {{ return(adapter.dispatch('utc_date')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp_expression) -%}
    cast({{ timestamp_expression }} as date)
{%- endmacro %}

{% macro postgres__utc_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }}) at time zone 'UTC' as date)
{%- endmacro %}

{#- The first day of the month of a date. -#}
{% macro month_start(date_expression) -%}
    {{ return(adapter.dispatch('month_start')(date_expression)) }}
{%- endmacro %}

{% macro default__month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- Whole calendar months from one date to a later one (January to March is 2). -#}
{% macro months_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('months_between')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__months_between(start_date, end_date) -%}
    cast({{ dbt.datediff(start_date, end_date, 'month') }} as integer)
{%- endmacro %}

{#- A date or timestamp moved by a number of days (negative: back). -#}
{% macro add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('add_days')(date_expression, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expression, days) -%}
    {{ dbt.dateadd('day', days, date_expression) }}
{%- endmacro %}

{#- One row per month from the month of start_date to the month of end_date, as
    `month_start` (the first day of each month). -#}
{% macro month_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('month_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro postgres__month_spine(start_date, end_date) -%}
    select cast(month_series as date) as month_start
    from generate_series(
        cast(date_trunc('month', cast({{ start_date }} as date)) as date),
        cast(date_trunc('month', cast({{ end_date }} as date)) as date),
        interval '1 month'
    ) as month_series
{%- endmacro %}
