"""The ground floor: paths, errors, console output, warehouse settings and sessions, the
embedded server. Nothing here imports anything else of the project; every other package may
import this one."""
