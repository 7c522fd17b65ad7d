{{ stage_dlt_loads('landing') }}
