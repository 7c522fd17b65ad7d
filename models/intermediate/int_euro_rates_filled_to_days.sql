with

euro_rates as (

    select * from {{ ref('stg_ecb__euro_rates') }}

),

currencies as (

    select distinct currency from euro_rates

),

days as (

    {{ date_spine(
        "(select min(rate_date) from " ~ ref('stg_ecb__euro_rates') ~ ")",
        "greatest((select max(rate_date) from " ~ ref('stg_ecb__euro_rates') ~ "), "
            ~ var('rates_filled_until') ~ ")"
    ) }}

),

rates_with_validity as (

    select
        currency,
        rate_date,
        units_per_eur,
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date

    from euro_rates

),

{# weekends and holidays take the last rate published before them #}
filled as (

    select
        days.date_day as rate_date,
        currencies.currency,
        rates_with_validity.units_per_eur,
        rates_with_validity.rate_date as published_on

    from days

    cross join currencies

    inner join rates_with_validity
        on
            currencies.currency = rates_with_validity.currency
            and days.date_day >= rates_with_validity.rate_date
            and (
                rates_with_validity.next_rate_date is null
                or days.date_day < rates_with_validity.next_rate_date
            )

),

euro as (

    select
        days.date_day as rate_date,
        'EUR' as currency,
        cast(1 as numeric(18, 6)) as units_per_eur,
        days.date_day as published_on

    from days

),

unioned as (

    select * from filled
    union all
    select * from euro

),

final as (

    select
        rate_date || '-' || currency as daily_rate_id,
        rate_date,
        currency,
        units_per_eur,
        published_on

    from unioned

)

select * from final
