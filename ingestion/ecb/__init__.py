"""The ECB euro reference rates source (`source`)."""

from ingestion.ecb.source import ecb_source

__all__ = ["ecb_source"]
