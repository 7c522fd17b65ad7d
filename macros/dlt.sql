{#- Helpers for tables loaded by dlt. -#}

{#- Rows of a load that did not complete (a crash mid-load) are left out: dlt records a
    load in `_dlt_loads` with status 0 only once every table of it is committed. -#}
{% macro dlt_completed_loads(source_name) -%}
    _dlt_load_id in (
        select load_id from {{ source(source_name, '_dlt_loads') }} where status = 0
    )
{%- endmacro %}

{#- dlt load ids are the load's start as unix epoch seconds. -#}
{% macro dlt_loaded_at(load_id_column='_dlt_load_id') -%}
    {{ return(adapter.dispatch('dlt_loaded_at')(load_id_column)) }}
{%- endmacro %}

{% macro default__dlt_loaded_at(load_id_column) -%}
    to_timestamp(cast({{ load_id_column }} as numeric))
{%- endmacro %}
