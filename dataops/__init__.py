"""DataOps retail: command line, warehouse resolution and shared paths."""
