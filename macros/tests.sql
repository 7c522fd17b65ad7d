{#- Which rows a generic test reads (dbt calls this for the model a test is attached to).

    The test's own `where` config applies as in dbt. Beyond it, in a build that is not a full
    refresh, a test that judges rows one by one (`row_tests` below) of a model whose `meta`
    names a `test_window_column` reads the model's recent rows only: those whose column is within `test_window_days` of its newest value. Those are the
    rows an incremental build writes (the new day and the facts' lookback window), so a daily
    build's tests cost what its new data costs, not what the history costs. A full refresh
    (`dataops transform -- --full-refresh`) tests every row.

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
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {#- tests that compare a model's totals with another model's need all of its rows -#}
    {%- set row_tests = [
        'unique', 'not_null', 'accepted_values', 'relationships', 'expression_is_true',
        'unique_combination',
    ] -%}
    {%- if (model.get('test_metadata') or {}).get('name') not in row_tests -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- set column = (tested.config.meta or {}).get('test_window_column') if tested else none -%}
    {%- if not column -%}
        {{ return(none) }}
    {%- endif -%}
    {#- a view over raw tables takes its newest value from the fact built from it, whose
        index answers at once (from the view, it would cost what the test saves) -#}
    {%- set newest_in = tested.config.meta.get('test_window_newest_in') -%}
    {%- set anchor = relation -%}
    {%- if newest_in -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ newest_in] -%}
        {%- set anchor = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if anchor is none -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endif -%}
    {%- set start_query -%}
        select {{ add_days('max(' ~ column ~ ')', -var('test_window_days')) }} from {{ anchor }}
    {%- endset -%}
    {%- set start = run_query(start_query).columns[0].values()[0] -%}
    {%- if start is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(column ~ ' >= ' ~ dbt.string_literal(start.isoformat())) }}
{%- endmacro %}
