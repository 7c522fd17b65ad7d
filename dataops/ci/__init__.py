"""Slim CI and the production deploy, as commands that run here and in CI.

The workflows in `.github/workflows/` only call these commands, so a pull request's CI can be
reproduced on a laptop step by step:

    dataops ci run [--pr N]           every step below in order: what `make ci-slim` runs
    dataops ci state                  production state: deploy artifact, base-branch parse, none
    dataops ci build                  dbt build --select state:modified+ --defer into ci_pr_<n>
    dataops ci lint                   sqlfluff with the dbt templater on the SQL the branch changed
    dataops ci pytest                 the Python test suite
    dataops ci summary                models built, tests passed and failed, timings (markdown)
    dataops ci comment --pr N         the summary as a pull request comment (GitHub only)
    dataops ci drop-schema --pr N     drop ci_pr_<n> once the pull request closes
    dataops ci deploy [--out DIR]     ingest, source freshness, dbt build for prod, docs; publish

The modules, one job each: `workspace` (a pull request's folder and schema), `repository`
(git and the base branch), `state`, `build` (with `copy_plan`, the pure plan of which
production tables to copy, and `copies`, which makes them), `lint`, `python_tests`, `summary`
(one function per section), `github` (annotations, job summary, artifact, comment), `deploy`,
and `steps` (the steps by name, and `run`). `dataops.cli.ci` is their command line.

Commit-time checks are tools, not commands of ours: detect-secrets (with the two rules it
lacks in `secret_rules`), yamllint, zizmor and check-jsonschema, wired in
`.pre-commit-config.yaml` and `make lint` (docs/pull-requests.md says which and why).
"""
