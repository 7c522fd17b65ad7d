"""Automation: the daily deploy's job and schedule, the landing files' sensor, the Shop API's
declarative automation and the run-failure alert.

`orchestration.definitions` passes JOBS, SCHEDULES and SENSORS to its `Definitions` and wraps
them in `automate`, which adds the deploy's publishing asset and the Shop API's conditions.
"""

from orchestration.automation.alerts import alert_on_run_failure
from orchestration.automation.conditions import automate, shop_automation
from orchestration.automation.schedules import deploy_job, deploy_schedule
from orchestration.automation.sensors import landing_sensor

JOBS = [deploy_job]
SCHEDULES = [deploy_schedule()]
SENSORS = [landing_sensor, shop_automation, alert_on_run_failure]

__all__ = ["JOBS", "SCHEDULES", "SENSORS", "automate"]
