"""The price table kept in the project (``prices.json`` beside this module), typed.

Every figure records its source page, the date it was taken and, when it was not read from that
page, how it was estimated. ``refresh_prices`` rewrites the instance prices from AWS's offer file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

PRICES_FILE = Path(__file__).with_name("prices.json")

InstanceUse = Literal["hosting", "training", "processing"]


class PriceMissing(LookupError):
    """The table has no price for what the plan asks for."""


@dataclass(frozen=True)
class PriceTable:
    """Prices by region: SageMaker instance-hours per use, and flat unit prices."""

    instances: dict[str, dict[str, dict[str, Any]]]
    prices: dict[str, dict[str, Any]]
    as_of: str

    @property
    def regions(self) -> tuple[str, ...]:
        """Regions with instance prices."""
        return tuple(sorted(self.instances))

    def instance_hour(self, region: str, instance_type: str, use: InstanceUse) -> float:
        """USD per instance-hour of ``instance_type`` used for ``use`` in ``region``."""
        entry = self.instances.get(region, {}).get(instance_type)
        if entry is None or use not in entry:
            raise PriceMissing(f"no {use} price for {instance_type} in {region} in {PRICES_FILE.name}")
        return float(entry[use])

    def unit(self, region: str, key: str) -> float:
        """A flat price (``kms.key.month``…) in ``region``."""
        entry = self.prices.get(key)
        if entry is None or region not in entry:
            raise PriceMissing(f"no price {key!r} for {region} in {PRICES_FILE.name}")
        return float(entry[region])

    def estimated(self, region: str) -> list[str]:
        """Keys of the figures in ``region`` that are estimates, not read from a pricing page."""
        found = [f"instance {t}" for t, e in sorted(self.instances.get(region, {}).items()) if e.get("estimate")]
        return found + [k for k, e in sorted(self.prices.items()) if e.get("estimate")]


@lru_cache(maxsize=4)
def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """Read the price table (cached: it is data shipped with the code)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return PriceTable(instances=doc["instances"], prices=doc["prices"], as_of=doc["about"]["asOf"])
