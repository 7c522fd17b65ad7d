{#- Fails when the model's row count differs from its parent's by more than `tolerance`, a
    share of the parent's count (0 for "exactly as many rows"). `parent_where` filters the
    parent, e.g. to the rows the model is meant to keep. Returns one row with both counts.

    In a build that is not a full refresh, a model and a parent that both name a
    `test_window_column` are counted over the same recent rows: those from one start, the
    model's `test_window_start` (see macros/tests.sql). -#}
{% test row_count_within_tolerance(model, parent, tolerance=0, parent_where=none) %}

{# the project's window (macros/tests.sql); elsewhere every row #}
{% set windowed = paired_test_windows is defined %}
{% set windows = paired_test_windows(model, parent) if windowed else ['true', 'true'] %}

with

model_rows as (

    select count(*) as row_count
    from {{ model }}
    where {{ windows[0] }}

),

parent_rows as (

    select count(*) as row_count
    from {{ parent }}
    where
        {{ parent_where or 'true' }}
        and {{ windows[1] }}

)

select
    model_rows.row_count as model_row_count,
    parent_rows.row_count as parent_row_count

from model_rows

cross join parent_rows

where abs(model_rows.row_count - parent_rows.row_count) > {{ tolerance }} * parent_rows.row_count

{% endtest %}
