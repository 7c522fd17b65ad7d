{#- The database roles the marts are granted to (`grants:` in dbt_project.yml).

    `dataops db roles` (dataops/roles.py) creates them with passwords and every privilege
    they need, and every `dataops` command that runs dbt makes sure of them first, as the
    warehouse owner: dbt itself runs as `dataops_transformer`, which may not create roles. A
    build run some other way on a database where that has not happened yet would fail on the
    grant, so every run first creates any that are missing, without login, when its user may
    create roles, and otherwise stops naming the command that does. Roles belong to the whole
    server, so two builds racing to create one are both fine. -#}
{% macro create_missing_roles(roles) -%}
    {{ return(adapter.dispatch('create_missing_roles')(roles)) }}
{%- endmacro %}

{% macro default__create_missing_roles(roles) -%}
    select 1
{%- endmacro %}

{% macro postgres__create_missing_roles(roles) -%}
    {%- for role in roles %}
    do $$
    begin
        if not exists (select from pg_roles where rolname = '{{ role }}') then
            if not (select rolcreaterole or rolsuper from pg_roles where rolname = current_user) then
                raise exception 'the role {{ role }} does not exist: run `dataops db roles` as the warehouse owner';
            end if;
            create role {{ adapter.quote(role) }} nologin;
        end if;
    exception
        when duplicate_object or unique_violation then null;
    end
    $$;
    {%- endfor %}
{%- endmacro %}
