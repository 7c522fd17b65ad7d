{#- Fails for every row where the SQL expression is not true. Attached to a column or to a
    whole model; the expression names the columns it needs. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
