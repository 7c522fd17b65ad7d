{#- Fails for every group whose sums differ between a rollup and the finer model it rolls up:
    both are summed per the `group_by` columns (never null), and a group found on one side
    only fails too. Returns the group and, per summed column, both sums.

    In a build that is not a full refresh, a rollup and a detail model that both name a
    `test_window_column` (grouped by, so a group is on both sides or on neither) are compared
    over the same recent rows: those from the rollup's `test_window_start`. -#}
{% test sums_match_detail(model, detail, group_by, sums) %}

    {# the project's window (macros/tests.sql); elsewhere every row #}
    {% set windowed = paired_test_windows is defined %}
    {% set windows = paired_test_windows(model, detail, group_by) if windowed else ['true'] * 2 %}

with

rollup_sums as (

    select
        {% for column in group_by %}{{ column }},
        {% endfor %}{% for column in sums %}sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ model }}
    where {{ windows[0] }}
    group by {{ group_by | join(', ') }}

),

detail_sums as (

    select
        {% for column in group_by %}{{ column }},
        {% endfor %}{% for column in sums %}sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ detail }}
    where {{ windows[1] }}
    group by {{ group_by | join(', ') }}

)

select
    {% for column in group_by %}coalesce(rollup_sums.{{ column }}, detail_sums.{{ column }}) as {{ column }},
    {% endfor %}{% for column in sums %}rollup_sums.{{ column }} as rollup_{{ column }},
    detail_sums.{{ column }} as detail_{{ column }}{{ ',' if not loop.last }}
    {% endfor %}
from rollup_sums

full outer join detail_sums
    on {% for column in group_by %}rollup_sums.{{ column }} = detail_sums.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}

where
    {% for column in group_by %}rollup_sums.{{ column }} is null or detail_sums.{{ column }} is null
    or {% endfor %}{% for column in sums %}rollup_sums.{{ column }} is distinct from detail_sums.{{ column }}{{ ' or ' if not loop.last }}{% endfor %}

{% endtest %}
