{#- One row per day from start_date to end_date inclusive, as `date_day`.
    PostgreSQL-specific SQL stays behind adapter dispatch. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro postgres__date_spine(start_date, end_date) -%}
    select cast(day_series as date) as date_day
    from generate_series(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval '1 day'
    ) as day_series
{%- endmacro %}
