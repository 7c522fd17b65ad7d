{#- Fails when the newest value of the column is more than `interval` `datepart`s (e.g. 2
    days) older than now or, given `compared_to` (a ref) and `compared_column`, than the
    newest value there: "sessions are never more than a day behind orders". An empty table
    fails too. Returns one row with both values. -#}
{% test recency(model, column_name, datepart, interval, compared_to=none, compared_column=none) %}

with

newest as (

    select max({{ column_name }}) as newest_value
    from {{ model }}

),

reference as (

    {% if compared_to is not none %}
        select max({{ compared_column or column_name }}) as reference_value
        from {{ compared_to }}
    {% else %}
        select current_timestamp as reference_value
    {% endif %}

)

select
    newest.newest_value,
    reference.reference_value

from newest

cross join reference

where
    newest.newest_value is null
    or newest.newest_value
    < {{ dbt.dateadd(datepart, -interval, 'reference.reference_value') }}

{% endtest %}
