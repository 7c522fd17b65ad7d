"""`make bench`: every speed claim as a ratio against an anchor measured in the same run."""
