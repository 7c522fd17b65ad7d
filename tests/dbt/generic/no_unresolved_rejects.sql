{#- For an API source's `_rejected_rows`: fails for every reject not yet resolved. A reject is
    resolved when a completed load after it holds a good row with its key in the raw table it
    was meant for (`resolved_rejects`, macros/rejects.sql). `keys` names, per raw table of the
    source, the columns of its primary key. -#}
{% test no_unresolved_rejects(model, source_name, keys) %}

with

rejects as (

    select * from {{ model }}

),

resolved as (

    {{ resolved_rejects('rejects', source_name, keys) }}

),

unresolved as (

    select rejects.*

    from rejects

    where not exists (
        select 1 from resolved
        where resolved._dlt_id = rejects._dlt_id
    )

)

select * from unresolved

{% endtest %}
