{#- Fails when the model's row count differs from its parent's by more than `tolerance`, a
    share of the parent's count (0 for "exactly as many rows"). `parent_where` filters the
    parent, e.g. to the rows the model is meant to keep. Returns one row with both counts. -#}
{% test row_count_within_tolerance(model, parent, tolerance=0, parent_where=none) %}

with

model_rows as (

    select count(*) as row_count
    from {{ model }}

),

parent_rows as (

    select count(*) as row_count
    from {{ parent }}
    where {{ parent_where or 'true' }}

)

select
    model_rows.row_count as model_row_count,
    parent_rows.row_count as parent_row_count

from model_rows

cross join parent_rows

where abs(model_rows.row_count - parent_rows.row_count) > {{ tolerance }} * parent_rows.row_count

{% endtest %}
