{#- Helpers for the run-history models. -#}

{#- A dbt freshness limit ({"count": 1, "period": "day"} as JSON text) in hours. -#}
{% macro freshness_limit_hours(column) -%}
    {{ return(adapter.dispatch('freshness_limit_hours')(column)) }}
{%- endmacro %}

{% macro default__freshness_limit_hours(column) -%}
    (
        cast(cast({{ column }} as json) ->> 'count' as numeric)
        * case cast({{ column }} as json) ->> 'period'
            when 'minute' then 1.0 / 60
            when 'hour' then 1
            when 'day' then 24
        end
    )
{%- endmacro %}

{#- The median of an expression, as an aggregate. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
