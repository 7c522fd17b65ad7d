{#- Indexes on the raw tables the incremental models look rows up in, declared on each source
    table as `config: meta: indexes:`, a list of column lists. dlt creates no index on a merge
    table's key, so an incremental build would read every raw row to find the few changed.

    Every run creates the missing ones first (`on-run-start`), as the table's owner only: a
    user who does not own the table gets an error naming the statement its owner should
    run, because `any_of_keys` without the index reads the whole table once per key. An index
    already there costs one catalogue lookup; dlt's merges keep it up to date afterwards. -#}
{% macro ensure_source_indexes() -%}
    {{ return(adapter.dispatch('ensure_source_indexes')()) }}
{%- endmacro %}

{% macro default__ensure_source_indexes() -%}
    select 1
{%- endmacro %}

{% macro postgres__ensure_source_indexes() -%}
    {%- set statements = [] -%}
    {%- for source in (graph.sources.values() if execute else []) | sort(attribute='unique_id') -%}
        {%- set relation = api.Relation.create(
            schema=source.schema, identifier=source.identifier
        ).include(database=False) -%}
        {%- for columns in (source.config.meta or {}).get('indexes', []) -%}
            {%- set index = source.identifier ~ '_by_' ~ columns | join('_') -%}
            {%- set create -%}
                create index {{ adapter.quote(index) }} on {{ relation }} ({{ columns | join(', ') }})
            {%- endset -%}
            {%- do statements.append((relation, index, create)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if statements %}
    do $$
    begin
        {%- for relation, index, create in statements %}
        if to_regclass('{{ relation }}') is not null
            and to_regclass('{{ adapter.quote(relation.schema) }}.{{ adapter.quote(index) }}') is null then
            if not pg_has_role(
                (select relowner from pg_class where oid = to_regclass('{{ relation }}')), 'USAGE'
            ) then
                raise exception 'the index {{ index }} is missing and only the owner of {{ relation.schema }}.{{ relation.identifier }} can create it: run `{{ create | replace("'", "''") }}` as its owner';
            end if;
            {{ create }};
        end if;
        {%- endfor %}
    end
    $$;
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- `column` is one of the keys `subquery` returns, as a condition PostgreSQL pushes down through
    the staging views to the raw table: the keys are read once, into an array, and each is
    looked up in the table's index. (`column in (subquery)` is a semi-join, which the planner
    joins after the views' own joins, so it reads every row of the view first: 4 s against
    1.3 s for `fct_order_items` at 1M orders.) The column's table must have an index on it
    (`ensure_source_indexes`, or the model's `indexes`): without one, every row is compared
    with every key. Use it in incremental branches, where the keys are few. -#}
{% macro any_of_keys(column, subquery) -%}
    {{ column }} = any(array({{ subquery }}))
{%- endmacro %}
