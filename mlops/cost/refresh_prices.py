"""Rewrite the SageMaker instance prices of one region from AWS's Price List bulk offer file.

    python -m mlops.cost.refresh_prices AmazonSageMaker-eu-west-1.json --region eu-west-1

The offer file is https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonSageMaker/current/REGION/index.json
(format: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-an-offer.html).
Products of family "ML Instance" carry ``instanceType`` as ``ml.m5.large-Hosting``,
``-Training`` or ``-Processing``; their on-demand price per hour replaces the table's figure,
with the offer's publication date as ``asOf`` and the estimate note cleared. Types the offer
does not price keep their entry.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mlops.cost.prices import PRICES_FILE

_USES = {"Hosting": "hosting", "Training": "training", "Processing": "processing"}
OFFER_SOURCE = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonSageMaker/current/{region}/index.json"


def offer_prices(offer: dict[str, Any], region: str) -> dict[str, dict[str, float]]:
    """``{instance type: {use: USD per hour}}`` from an AmazonSageMaker offer file."""
    found: dict[str, dict[str, float]] = {}
    on_demand = offer.get("terms", {}).get("OnDemand", {})
    for sku, product in offer.get("products", {}).items():
        attributes = product.get("attributes", {})
        if product.get("productFamily") != "ML Instance" or attributes.get("regionCode", region) != region:
            continue
        instance, _, component = attributes.get("instanceType", "").rpartition("-")
        if not instance.startswith("ml.") or component not in _USES:
            continue
        for term in on_demand.get(sku, {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if dimension.get("unit", "").lower().startswith("hr"):
                    found.setdefault(instance, {})[_USES[component]] = float(dimension["pricePerUnit"]["USD"])
    return found


def refresh(table: dict[str, Any], offer: dict[str, Any], region: str) -> int:
    """Update ``table`` (the prices.json document) in place; the number of entries changed."""
    prices = offer_prices(offer, region)
    as_of = str(offer.get("publicationDate", ""))[:10]
    entries = table["instances"].setdefault(region, {})
    changed = 0
    for instance, entry in sorted(entries.items()):
        if instance not in prices:
            continue
        for use in ("hosting", "training", "processing"):
            if use in entry and use in prices[instance]:
                entry[use] = prices[instance][use]
        entry.update(source=OFFER_SOURCE.format(region=region), asOf=as_of, estimate=None)
        changed += 1
    return changed


def main() -> None:
    """Command line: read the offer file, rewrite prices.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("offer", type=Path, help="AmazonSageMaker offer file (index.json) of the region")
    parser.add_argument("--region", required=True)
    parser.add_argument("--table", type=Path, default=PRICES_FILE)
    args = parser.parse_args()
    table = json.loads(args.table.read_text(encoding="utf-8"))
    changed = refresh(table, json.loads(args.offer.read_text(encoding="utf-8")), args.region)
    args.table.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{changed} instance types of {args.region} updated in {args.table}")


if __name__ == "__main__":
    main()
