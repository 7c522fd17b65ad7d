"""What the test suites share, one module per job:

- `warehouse`: throwaway servers and databases, the `Warehouse` handle, `dataops` against it;
- `raw`: changes to raw data a test makes and takes back;
- `project`: copies of the project (the dbt project alone, or the repository as a git repo);
- `ingest`, `dbt`, `ci`, `dashboard`: the helpers of those suites.

The benchmarks (`bench/`) use `warehouse` and `project` too, so both measure the same setup.
"""
