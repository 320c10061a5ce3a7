"""The price table refresh reads AWS's offer file format."""

from __future__ import annotations

import copy

from mlops.cost.refresh_prices import offer_prices, refresh

OFFER = {
    "publicationDate": "2027-01-15T00:00:00Z",
    "products": {
        "SKU1": {"productFamily": "ML Instance", "attributes": {"regionCode": "eu-west-1", "instanceType": "ml.m5.large-Hosting"}},
        "SKU2": {"productFamily": "ML Instance", "attributes": {"regionCode": "eu-west-1", "instanceType": "ml.m5.large-Training"}},
        "SKU3": {"productFamily": "Storage", "attributes": {"regionCode": "eu-west-1", "instanceType": "ml.m5.large-Hosting"}},
    },
    "terms": {
        "OnDemand": {
            "SKU1": {"T1": {"priceDimensions": {"D1": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1290000000"}}}}},
            "SKU2": {"T2": {"priceDimensions": {"D2": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1300000000"}}}}},
            "SKU3": {"T3": {"priceDimensions": {"D3": {"unit": "GB-Mo", "pricePerUnit": {"USD": "9"}}}}},
        }
    },
}


def test_offer_prices_per_use():
    assert offer_prices(OFFER, "eu-west-1") == {"ml.m5.large": {"hosting": 0.129, "training": 0.13}}


def test_refresh_replaces_estimates_it_can_read():
    table = {"instances": {"eu-west-1": {
        "ml.m5.large": {"hosting": 1.0, "training": 1.0, "processing": 1.0, "estimate": "derived", "asOf": "x", "source": "y"},
        "ml.c5.xlarge": {"hosting": 2.0, "estimate": "derived", "asOf": "x", "source": "y"},
    }}}
    before = copy.deepcopy(table)
    assert refresh(table, OFFER, "eu-west-1") == 1
    m5 = table["instances"]["eu-west-1"]["ml.m5.large"]
    assert (m5["hosting"], m5["training"], m5["processing"], m5["estimate"], m5["asOf"]) == (0.129, 0.13, 1.0, None, "2027-01-15")
    assert table["instances"]["eu-west-1"]["ml.c5.xlarge"] == before["instances"]["eu-west-1"]["ml.c5.xlarge"]
