{#- For versioned rows (an SCD type 2 snapshot): fails for every pair of versions of the same
    key (the column the test is attached to) whose validity ranges overlap, and for every
    range that ends before it starts. A null `valid_to` means "still valid". -#}
{% test non_overlapping_validity_ranges(model, column_name, valid_from, valid_to) %}

with

versions as (

    select
        {{ column_name }} as entity_key,
        {{ valid_from }} as valid_from,
        {{ valid_to }} as valid_to
    from {{ model }}
    where {{ column_name }} is not null

),

inverted as (

    select
        entity_key,
        valid_from,
        valid_to,
        'ends before it starts' as problem
    from versions
    where valid_to < valid_from

),

ordered as (

    select
        entity_key,
        valid_from,
        valid_to,
        lead(valid_from) over (
            partition by entity_key
            order by valid_from, valid_to
        ) as next_valid_from
    from versions

),

overlapping as (

    select
        entity_key,
        valid_from,
        valid_to,
        'overlaps the next version' as problem
    from ordered
    where
        next_valid_from is not null
        and (valid_to is null or valid_to > next_valid_from)

)

select * from inverted
union all
select * from overlapping

{% endtest %}
