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

{#- The rows of a landing table that staging reads: those of completed loads and, of each file,
    only those of its current version. Raw keeps every version of a file;
    `stg_landing__loaded_files` says which load of a file is current, and whether it was
    rejected whole (then none of its rows). Rows of a file loaded
    before files were recorded have no current version and stay. -#}
{% macro landing_current_rows(table_name) -%}
    select source.*

    from {{ source('landing', table_name) }} as source

    left join {{ ref('stg_landing__loaded_files') }} as current_files
        on
            source._source_file = current_files.source_file
            and current_files.table_name = {{ dbt.string_literal(table_name) }}
            and current_files.is_current_version

    where
        source.{{ dlt_completed_loads('landing') }}
        and (
            current_files.load_id is null
            or (
                source._dlt_load_id = current_files.load_id
                and not current_files.is_rejected_whole
            )
        )
{%- endmacro %}

{#- The staging model of a dlt source's `_dlt_loads`, the same for every source: each source
    keeps its own model (`stg_<source>__loads`), one call of this. -#}
{% macro stage_dlt_loads(source_name) -%}
with

source as (

    select * from {{ source(source_name, '_dlt_loads') }}

),

renamed as (

    select
        {# ---------- ids #}
        load_id,

        {# ---------- strings #}
        schema_name,
        schema_version_hash,

        {# ---------- numerics #}
        cast(status as integer) as load_status,

        {# ---------- booleans #}
        status = 0 as is_completed,

        {# ---------- timestamps #}
        cast(inserted_at as timestamptz) as loaded_at

    from source

)

select * from renamed
{%- endmacro %}
