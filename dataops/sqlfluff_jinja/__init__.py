"""What dbt puts in the Jinja context and sqlfluff's jinja templater lacks.

`.sqlfluff` loads the project's real macros (`load_macros_from_path = macros`) and this
package (`library_path`), so the commit-time lint renders every model with the macros dbt
uses, without a database and without a hand-written stub per macro. Every public name here
becomes a name in the template context, ahead of sqlfluff's own dbt builtins:

- `var(name, default)`: the value in `dbt_project.yml`'s `vars:`, else the default, else 1
  (so `-var('lookback_days')` renders as it does under dbt);
- `adapter.dispatch(name)`: the project's `postgres__<name>` or `default__<name>` macro;
- `dbt.<macro>(...)`: dbt's cross-database macros (`dbt.datediff`, `dbt.date_trunc`, ...),
  rendered as a SQL call of the same name and arguments, which parses like the real expansion.
"""

from functools import cache as _cache
from pathlib import Path as _Path

import jinja2 as _jinja2
import yaml as _yaml


@_cache
def _project_vars() -> dict:
    project = _Path(__file__).resolve().parents[2] / "dbt_project.yml"
    if not project.exists():
        return {}
    return (_yaml.safe_load(project.read_text()) or {}).get("vars") or {}


def var(name: str, default: object = None) -> object:
    """A project variable as dbt would resolve it without --vars."""
    value = _project_vars().get(name, default)
    return 1 if value is None else value


def _sql_call(name: str) -> object:
    def render(*args: object, **kwargs: object) -> str:
        return f"{name}({', '.join(str(arg) for arg in [*args, *kwargs.values()])})"

    return render


class _CrossDatabaseMacros:
    """`dbt.<macro>`: any of dbt's cross-database macros, as a plain SQL call."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return _sql_call(name)


class _Adapter:
    """`adapter.dispatch` as dbt resolves it on PostgreSQL."""

    @_jinja2.pass_context
    def dispatch(
        self, context: _jinja2.runtime.Context, macro_name: str, macro_namespace: object = None
    ) -> object:
        for name in (f"postgres__{macro_name}", f"default__{macro_name}"):
            macro = context.get(name)
            if macro is not None:
                return macro
        return _sql_call(macro_name)


adapter = _Adapter()
dbt = _CrossDatabaseMacros()
