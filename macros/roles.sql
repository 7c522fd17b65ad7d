{#- The database roles the marts are granted to (`grants:` in dbt_project.yml).

    `dataops db roles` (dataops/roles.py) creates them with passwords and every privilege
    they need. A build on a database where that has not run yet would fail on the grant, so
    every run first creates any that are missing, without login: the grant then succeeds
    and `dataops db roles` can later give the role its login. Roles belong to the whole
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
            create role {{ adapter.quote(role) }} nologin;
        end if;
    exception
        when duplicate_object or unique_violation then null;
    end
    $$;
    {%- endfor %}
{%- endmacro %}
