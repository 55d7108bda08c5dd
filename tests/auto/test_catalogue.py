"""The partner catalogue (spec 3.4–3.6): filters, sorts, pages, null-strict filters, facets, detail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auto.conftest import DEALER_CAR, NO_BID_CAR, PALISADE, Operator, Partner, assert_error, issue_paths

CATALOGUE: dict[str, dict[str, Any]] = {
    "glovis-a": {**PALISADE, "auction_date": "2026-05-12T13:30:00+09:00", "pricing": {"listing_usd": 17400}},
    "glovis-b": {
        **PALISADE,
        "model": "Tucson",
        "year": 2019,
        "mileage_km": 90000,
        "accident_grade": "C",
        "exterior_grade": "A",
        "options": ["navigation", "sunroof_panoramic"],
        "auction_count": 3,
        "auction_date": "2026-05-12T00:10:00+09:00",
        "pricing": {"listing_usd": 9800},
    },
    "sk-c": {
        **PALISADE,
        "source": "sk",
        "make": "Kia",
        "model": "Carnival",
        "fuel": "gasoline",
        "year": 2023,
        "mileage_km": 12000,
        "transmission": "dct",
        "options": ["sun_roof"],
        "accident_grade": "B",
        "exterior_grade": "B",
        "auction_date": "2026-05-11T23:59:00+09:00",
        "pricing": {"listing_usd": 31000},
    },
    "sk-nobid": {**NO_BID_CAR},
    "kcar-sold": {
        **PALISADE,
        "source": "kcar",
        "auction_result": "sold",
        "auction_date": "2026-04-01T10:00:00+09:00",
        "pricing": {"listing_usd": 15000},
        "year": 2020,
    },
    "dealer-kia": {**DEALER_CAR},
    "dealer-hyundai": {
        **DEALER_CAR,
        "make": "Hyundai",
        "model": "Palisade",
        "year": 2022,
        "mileage_km": 30000,
        "fuel": "diesel",
        "pricing": {"listing_usd": 17400},
    },
    "dealer-gone": {**DEALER_CAR, "make": "Genesis", "model": "G80"},
}


@pytest.fixture
async def catalogue(operator: Operator) -> dict[str, dict[str, Any]]:
    for vehicle_id, body in CATALOGUE.items():
        await operator.vehicle(vehicle_id, body)
    assert (await operator.request("DELETE", "/vehicles/dealer-gone")).status_code == 200
    return CATALOGUE


async def _ids(partner: Partner, **params: Any) -> list[str]:
    response = await partner.get("/v1/vehicles", params=params)
    assert response.status_code == 200, response.text
    return [vehicle["id"] for vehicle in response.json()["data"]]


async def test_bare_list_is_every_listed_vehicle_by_auction_date(partner: Partner, catalogue: dict) -> None:
    response = await partner.get("/v1/vehicles")
    body = response.json()
    assert body["next_cursor"] is None
    assert [v["id"] for v in body["data"]] == [
        "kcar-sold",
        "sk-nobid",
        "sk-c",
        "glovis-b",
        "glovis-a",
        "dealer-hyundai",
        "dealer-kia",
    ]
    assert "x-lmn-filtered-out" not in response.headers
    summary = next(v for v in body["data"] if v["id"] == "glovis-a")
    assert summary == {
        "id": "glovis-a",
        **{
            k: v
            for k, v in PALISADE.items()
            if k not in ("vin", "license_plate", "images", "inspection_report", "body_condition")
        },
    }
    dealer = next(v for v in body["data"] if v["id"] == "dealer-kia")
    assert dealer["trim"] is None and dealer["options"] == [] and dealer["auction_date"] is None
    assert dealer["accident_grade"] is None and dealer["auction_result"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"make": "hyundai"}, ["kcar-sold", "glovis-b", "glovis-a", "dealer-hyundai"]),
        (
            {"make": " KIA , hyundai,"},
            ["kcar-sold", "sk-nobid", "sk-c", "glovis-b", "glovis-a", "dealer-hyundai", "dealer-kia"],
        ),
        ({"make": "Hyundai", "model": "tucson,PALISADE"}, ["kcar-sold", "glovis-b", "glovis-a", "dealer-hyundai"]),
        ({"make": "Hyundai", "model": "Carnival"}, []),
        ({"year_min": "2022", "year_max": "2022"}, ["glovis-a", "dealer-hyundai"]),
        ({"mileage_max_km": "38412"}, ["kcar-sold", "sk-c", "glovis-a", "dealer-hyundai"]),
        ({"price_min_usd": "17400", "price_max_usd": "21900"}, ["glovis-a", "dealer-hyundai", "dealer-kia"]),
        ({"source": "sk,dealer"}, ["sk-nobid", "sk-c", "dealer-hyundai", "dealer-kia"]),
        ({"fuel": "hybrid,gasoline"}, ["sk-c", "dealer-kia"]),
        ({"transmission": "dct"}, ["sk-c"]),
        ({"accident_grade": "a,c"}, ["kcar-sold", "glovis-b", "glovis-a"]),
        ({"exterior_grade": "B"}, ["kcar-sold", "sk-nobid", "sk-c", "glovis-a"]),
        ({"options_include": "sunroof"}, ["kcar-sold", "glovis-a"]),  # not sun_roof, not sunroof_panoramic
        ({"options_include": "sunroof,navigation"}, ["kcar-sold", "glovis-a"]),
        ({"options_include": "sun_roof"}, ["sk-c"]),
        ({"options_include": "navigation"}, ["kcar-sold", "glovis-b", "glovis-a"]),
        # KST calendar days: 00:10 KST on the 12th is the 12th; 23:59 KST on the 11th is the 11th
        ({"auction_date_from": "2026-05-12"}, ["glovis-b", "glovis-a"]),
        ({"auction_date_to": "2026-05-11"}, ["kcar-sold", "sk-nobid", "sk-c"]),
        ({"auction_date_from": "2026-05-11", "auction_date_to": "2026-05-11"}, ["sk-c"]),
        ({"auction_count_min": "2"}, ["sk-nobid", "glovis-b"]),
        ({"auction_count_max": "1"}, ["kcar-sold", "sk-c", "glovis-a"]),
        ({"make": "Kia", "fuel": "diesel"}, ["sk-nobid"]),
        ({"colour": "red"}, ["kcar-sold", "sk-nobid", "sk-c", "glovis-b", "glovis-a", "dealer-hyundai", "dealer-kia"]),
        (
            {"make": "", "year_min": ""},
            ["kcar-sold", "sk-nobid", "sk-c", "glovis-b", "glovis-a", "dealer-hyundai", "dealer-kia"],
        ),
    ],
)
async def test_filters(partner: Partner, catalogue: dict, params: dict, expected: list[str]) -> None:
    assert await _ids(partner, **params) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["glovis-b", "kcar-sold", "sk-nobid", "dealer-hyundai", "glovis-a", "dealer-kia", "sk-c"]),
        ("price_desc", ["sk-c", "dealer-kia", "glovis-a", "dealer-hyundai", "sk-nobid", "kcar-sold", "glovis-b"]),
        ("year_desc", ["sk-c", "glovis-a", "dealer-hyundai", "dealer-kia", "sk-nobid", "kcar-sold", "glovis-b"]),
        ("mileage_asc", ["sk-c", "dealer-hyundai", "glovis-a", "kcar-sold", "dealer-kia", "sk-nobid", "glovis-b"]),
    ],
)
async def test_sorts(partner: Partner, catalogue: dict, sort: str, expected: list[str]) -> None:
    assert await _ids(partner, sort=sort) == expected


@pytest.mark.parametrize("sort", ["auction_date_asc", "price_asc", "price_desc", "year_desc", "mileage_asc"])
async def test_pages(partner: Partner, catalogue: dict, sort: str) -> None:
    expected = await _ids(partner, sort=sort)
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await partner.get("/v1/vehicles", params=params)).json()
        seen += [vehicle["id"] for vehicle in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


async def test_null_strict_filters_report_dealers_left_out(partner: Partner, catalogue: dict) -> None:
    for params, count in (
        ({"accident_grade": "A"}, 2),
        ({"auction_count_min": "0"}, 2),
        ({"auction_date_from": "2026-01-01", "make": "kia"}, 1),
        ({"exterior_grade": "B", "year_min": "2022"}, 1),
        ({"exterior_grade": "B", "source": "sk"}, 0),
    ):
        for limit in ("1", "50"):  # every page carries it
            response = await partner.get("/v1/vehicles", params={**params, "limit": limit})
            assert response.status_code == 200
            if count:
                assert response.headers["x-lmn-filtered-out"] == f"dealer={count}", params
            else:
                assert "x-lmn-filtered-out" not in response.headers
    plain = await partner.get("/v1/vehicles", params={"make": "kia"})
    assert "x-lmn-filtered-out" not in plain.headers


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"source": "glovis,encar"}, "source"),
        ({"fuel": "petrol"}, "fuel"),
        ({"transmission": "AUTO"}, "transmission"),
        ({"accident_grade": "E"}, "accident_grade"),
        ({"year_min": "2020.5"}, "year_min"),
        ({"year_max": "abc"}, "year_max"),
        ({"year_min": "2023", "year_max": "2020"}, "year_min"),
        ({"price_min_usd": "-1"}, "price_min_usd"),
        ({"price_min_usd": "900", "price_max_usd": "100"}, "price_min_usd"),
        ({"mileage_max_km": "1e5"}, "mileage_max_km"),
        ({"auction_count_min": "-2"}, "auction_count_min"),
        ({"auction_count_min": "5", "auction_count_max": "1"}, "auction_count_min"),
        ({"model": "Palisade"}, "model"),
        ({"auction_date_from": "2026-05-12T00:00:00+09:00"}, "auction_date_from"),
        ({"auction_date_to": "2026-02-30"}, "auction_date_to"),
        ({"auction_date_from": "2026-05-13", "auction_date_to": "2026-05-12"}, "auction_date_from"),
        ({"options_include": "Sunroof"}, "options_include"),
        ({"sort": "newest"}, "sort"),
        ({"limit": "500"}, "limit"),
        ({"year_min": "99999999999999999999"}, "year_min"),
    ],
)
async def test_query_errors(partner: Partner, params: dict, path: str) -> None:
    assert ("query", path) in issue_paths(await partner.get("/v1/vehicles", params=params))


async def test_huge_integer_filters_are_fine(partner: Partner, catalogue: dict) -> None:
    assert await _ids(
        partner,
        year_min="-999999999999999",
        price_max_usd="999999999999999",
        auction_count_max="999999999999999",
        mileage_max_km="999999999999999",
    ) == ["kcar-sold", "sk-nobid", "sk-c", "glovis-b", "glovis-a"]


async def test_cursor_bound_to_filters(partner: Partner, catalogue: dict) -> None:
    cursor = (await partner.get("/v1/vehicles", params={"make": "hyundai", "limit": 1})).json()["next_cursor"]
    same = await partner.get("/v1/vehicles", params={"make": "HYUNDAI", "limit": 1, "cursor": cursor})
    assert same.status_code == 200  # normalised filters: the same query
    other = await partner.get("/v1/vehicles", params={"make": "kia", "limit": 1, "cursor": cursor})
    assert_error(other, 400, "invalid_cursor")
    other_sort = await partner.get("/v1/vehicles", params={"make": "hyundai", "sort": "price_asc", "cursor": cursor})
    assert_error(other_sort, 400, "invalid_cursor")


async def test_detail(partner: Partner, catalogue: dict) -> None:
    response = await partner.get("/v1/vehicles/glovis-a")
    assert response.status_code == 200
    assert response.json() == {"id": "glovis-a", **PALISADE}
    dealer = (await partner.get("/v1/vehicles/dealer-kia")).json()
    assert dealer["images"] == [] and dealer["vin"] is None and dealer["inspection_report"] is None
    for vehicle_id in ("dealer-gone", "nope", "GLOVIS-A", "bad%20id"):
        assert_error(await partner.get(f"/v1/vehicles/{vehicle_id}"), 404, "vehicle_not_found", {}, "Vehicle not found")


async def test_facets(partner: Partner, catalogue: dict) -> None:
    response = await partner.get("/v1/vehicles/facets")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.json() == {
        "makes": ["Hyundai", "Kia"],
        "models": {"Hyundai": ["Palisade", "Tucson"], "Kia": ["Carnival", "Sorento"]},
        "fuels": ["diesel", "gasoline", "hybrid"],
        "transmissions": ["auto", "dct"],
        "sources": ["dealer", "glovis", "kcar", "sk"],
        "as_of": "2026-05-06T09:14:27+09:00",
    }
    only_sk = (await partner.get("/v1/vehicles/facets", params={"source": "sk"})).json()
    assert only_sk["makes"] == ["Kia"] and only_sk["sources"] == ["sk"]
    assert only_sk["models"] == {"Kia": ["Carnival"]}
    assert issue_paths(await partner.get("/v1/vehicles/facets", params={"source": "encar"})) == [("query", "source")]


async def test_facets_of_an_empty_catalogue(partner: Partner) -> None:
    body = (await partner.get("/v1/vehicles/facets")).json()
    assert body == {
        "makes": [],
        "models": {},
        "fuels": [],
        "transmissions": [],
        "sources": [],
        "as_of": "2026-05-06T09:14:27+09:00",
    }
