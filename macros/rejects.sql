{#- The `_dlt_id` of each row of `rejects` (a relation or CTE with the columns of a source's
    `_rejected_rows`) that is resolved: a completed load after the one that rejected it
    (`_dlt_loads.status = 0`) holds a good row with its key in the raw table it was meant for.
    `keys` names, per raw table, the columns of its primary key; their values are read from
    the reject's `raw_text` (the record as JSON: a string or an integer per key column) and
    compared as text. A reject whose key cannot be read (the key itself was broken) is never
    resolved. A table not loaded yet (every record of a new source rejected) resolves nothing.
    Used by the generic test `no_unresolved_rejects`. -#}
{% macro resolved_rejects(rejects, source_name, keys) -%}
    {%- for table_name, columns in keys.items()
        if load_relation(source(source_name, table_name)) is not none %}
    select {{ rejects }}._dlt_id
    from {{ rejects }}
    join {{ source(source_name, table_name) }} as good
        on {{ rejects }}.table_name = '{{ table_name }}'
        and good._dlt_load_id > {{ rejects }}._dlt_load_id
        {%- for column in columns %}
        and good.{{ adapter.quote(column) }}::text = btrim(
            substring({{ rejects }}.raw_text from '"{{ column }}"\s*:\s*("[^"]*"|-?\d+)'), '"'
        )
        {%- endfor %}
    join {{ source(source_name, '_dlt_loads') }} as loads
        on good._dlt_load_id = loads.load_id and loads.status = 0
    union all
    {%- endfor %}
    select null as _dlt_id where false
{%- endmacro %}
