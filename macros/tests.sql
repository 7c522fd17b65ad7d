{#- Which rows a generic test reads (dbt calls this for the model a test is attached to).

    The test's own `where` config applies as in dbt. Beyond it, in a build that is not a full
    refresh, a test that judges rows one by one (`row_tests` below) of a model whose `meta`
    names a `test_window_column` reads the model's recent rows only: those whose column is within `test_window_days` of its newest value. Those are the
    rows an incremental build writes (the new day and the facts' lookback window), so a daily
    build's tests cost what its new data costs, not what the history costs. A full refresh
    (`dataops transform -- --full-refresh`) tests every row. A history (a snapshot) also names
    a `test_window_key`: its tests read every version of each key with a version opened in
    the window, so a test comparing a key's versions (`non_overlapping_validity_ranges`,
    `unique` on the current version) sees all of them. A model without a time of its own
    that aggregates another names it in `test_window_keys_in` (with its `test_window_key`):
    its tests read the groups with recent rows in that model (`keys_of_recent_rows`).

    The window's start is read when the test runs, from the model or from the indexed fact
    its `meta` names in `test_window_newest_in`, and rendered as a literal, so the filter
    reaches the table and its index (or, through a view, the raw table's scan). -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window = recent_rows_condition(relation) -%}
    {%- if window -%}
        {%- do conditions.append(window) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ')
            ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- `column >= '<start>'` for a model tested on its recent rows in this build, else none. -#}
{% macro recent_rows_condition(relation) -%}
    {#- a test that compares a model's totals with another model's reads the same rows of
        both (`paired_test_windows`), never this one-sided filter -#}
    {%- set row_tests = [
        'unique', 'not_null', 'accepted_values', 'relationships', 'expression_is_true',
        'unique_combination', 'non_overlapping_validity_ranges',
    ] -%}
    {%- if (model.get('test_metadata') or {}).get('name') not in row_tests -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') if execute else none -%}
    {%- if not tested -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if 'test_window_keys_in' in tested.config.meta -%}
        {{ return(keys_of_recent_rows(
            tested.config.meta['test_window_key'], tested.config.meta['test_window_keys_in']
        )) }}
    {%- endif -%}
    {%- set start = test_window_start(tested.name, relation=relation) -%}
    {%- if start is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set column = tested.config.meta['test_window_column'] -%}
    {%- set key = tested.config.meta.get('test_window_key') -%}
    {%- if key -%}
        {#- a history (a snapshot): every version of each key with a version opened in the
            window, so the tests that compare a key's versions see all of them -#}
        {{ return(key ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ' where '
            ~ in_test_window(column, start) ~ ')') }}
    {%- endif -%}
    {{ return(in_test_window(column, start)) }}
{%- endmacro %}

{#- Where the recent rows of `model_name` start in a build that is not a full refresh: the
    newest value of `column` (by default the model's `meta.test_window_column`) less
    `test_window_days`, read from the model or from the fact its `meta` names in
    `test_window_newest_in`, as an SQL literal. None in a full refresh, at parse time, when
    the model has no window or no rows, and in a pull request's build (slim CI) for a test
    that reads a node the branch changes (`DATAOPS_CI_CHANGED_NODES`, set by `dataops ci
    build`): a change applies to every row, so its tests read every row.
    `in_test_window` then keeps every row.

    Singular tests scope themselves with it: one start for every model they compare, so both
    sides of a comparison read the same rows. A generic test passes the `relation` it reads:
    in slim CI, a model left to production (deferred) has no table in the pull request's
    schema, and its window is read where the test reads its rows. -#}
{% macro test_window_start(model_name, column=none, relation=none) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set changed = env_var('DATAOPS_CI_CHANGED_NODES', '').split(',') | reject('equalto', '')
        | list -%}
    {%- if changed and (model.depends_on.nodes | select('in', changed) | list) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name)
        or graph.nodes.get('snapshot.' ~ project_name ~ '.' ~ model_name) -%}
    {%- set meta = (node.config.meta or {}) if node else {} -%}
    {%- set column = column or meta.get('test_window_column') -%}
    {%- if not column -%}
        {{ return(none) }}
    {%- endif -%}
    {#- a view over raw tables takes its newest value from the fact built from it, whose
        index answers at once (from the view, it would cost what the test saves) -#}
    {%- set anchor_node = graph.nodes.get(
        'model.' ~ project_name ~ '.' ~ meta['test_window_newest_in']
    ) if 'test_window_newest_in' in meta else node -%}
    {%- set anchor = adapter.get_relation(
        anchor_node.database, anchor_node.schema, anchor_node.alias
    ) if anchor_node else none -%}
    {%- if anchor is none and relation is not none and anchor_node
        and anchor_node.name == model_name -%}
        {%- set anchor = relation -%}
    {%- endif -%}
    {%- if anchor is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start_query -%}
        select {{ add_days('max(' ~ column ~ ')', -var('test_window_days')) }} from {{ anchor }}
    {%- endset -%}
    {%- set start = run_query(start_query).columns[0].values()[0] -%}
    {%- if start is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(dbt.string_literal(start.isoformat())) }}
{%- endmacro %}

{#- For a model with no time of its own (one that aggregates another, such as payments per
    order), named by its `meta.test_window_keys_in`: `key` is one of the keys of that model's
    recent rows (by its own `test_window_column`), as a condition PostgreSQL pushes down into
    the aggregation (`any_of_keys`), so a test reads the groups whose rows changed recently
    instead of aggregating every row. None when that model has no window in this build or no
    table where it is looked up (a model left to production in slim CI): every row. -#}
{% macro keys_of_recent_rows(key, model_name) -%}
    {%- set start = test_window_start(model_name) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- set relation = adapter.get_relation(node.database, node.schema, node.alias)
        if node and start is not none else none -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(any_of_keys(key, 'select ' ~ key ~ ' from ' ~ relation ~ ' where '
        ~ in_test_window(node.config.meta['test_window_column'], start))) }}
{%- endmacro %}

{#- `column >= start` (a `test_window_start`), or `true` when there is no window. -#}
{% macro in_test_window(column, start) -%}
    {%- if start is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(column ~ ' >= ' ~ start) }}
{%- endmacro %}

{#- The `meta.test_window_column` of a model of this project, or none. -#}
{% macro test_window_column(model_name) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) if execute -%}
    {{ return((node.config.meta or {}).get('test_window_column') if node else none) }}
{%- endmacro %}

{#- The conditions a test comparing a model with another (`row_count_within_tolerance`,
    `sums_match_detail`) reads each with: in a build that is not a full refresh, when both name
    a `test_window_column` (and, given `group_by`, the model's is one of them, so a group is
    on both sides or on neither), the same recent rows of each, from the model's
    `test_window_start`; else `true` for both. -#}
{% macro paired_test_windows(model_relation, other_relation, group_by=none) -%}
    {%- set model_column = test_window_column(model_relation.identifier)
        if model_relation.identifier is defined else none -%}
    {%- set other_column = test_window_column(other_relation.identifier)
        if other_relation.identifier is defined else none -%}
    {%- if not (model_column and other_column)
        or (group_by is not none and model_column not in group_by) -%}
        {{ return(['true', 'true']) }}
    {%- endif -%}
    {%- set since = test_window_start(model_relation.identifier) -%}
    {{ return([in_test_window(model_column, since), in_test_window(other_column, since)]) }}
{%- endmacro %}
