{{ stage_dlt_loads('shop') }}
