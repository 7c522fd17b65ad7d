{#-
    prod builds each layer into its own schema (staging, intermediate, marts);
    every other target (a developer, a pull request) builds everything into its one schema,
    e.g. ci_pr_42, so it can be dropped in one statement.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if target.name == 'prod' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
