{#- Fails for every combination of the given columns that occurs on more than one row: the
    grain of a model whose key spans several columns. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count

from {{ model }}

group by {{ columns | join(', ') }}

having count(*) > 1

{% endtest %}
