"""The Shop API source: the resources' declarations (`models`) and the dlt source (`source`)."""

from ingestion.shop.models import MODELS
from ingestion.shop.source import shop_source

__all__ = ["MODELS", "shop_source"]
