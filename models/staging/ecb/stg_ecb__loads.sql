{{ stage_dlt_loads('ecb') }}
