"""The point-in-polygon helper that places shops in their sector."""

from __future__ import annotations

from maillage.territory.geo import contains, is_polygon_geojson
from maillage.territory.tests.factory import square

DONUT = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}


def test_it_finds_a_point_inside_a_square() -> None:
    assert contains(square(1.717, 48.99), 1.717, 48.99)
    assert not contains(square(1.717, 48.99), 1.73, 48.99)


def test_it_excludes_the_hole_of_a_polygon() -> None:
    assert contains(DONUT, 2, 2)
    assert not contains(DONUT, 5, 5)


def test_it_handles_concave_outlines() -> None:
    letter_l = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4], [0, 0]]],
    }
    assert contains(letter_l, 0.5, 3)
    assert not contains(letter_l, 3, 3)


def test_it_reads_multipolygons_and_features() -> None:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(0, 0)["coordinates"], square(1, 1)["coordinates"]],
    }
    feature = {"type": "Feature", "properties": {}, "geometry": multi}
    assert contains(feature, 1, 1)
    assert not contains(feature, 0.5, 0.5)


def test_it_accepts_only_closed_polygons() -> None:
    assert is_polygon_geojson(square(1.717, 48.99))
    assert not is_polygon_geojson({"type": "Point", "coordinates": [1.7, 48.9]})
    assert not is_polygon_geojson(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
    )
    assert not is_polygon_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]})
    assert not is_polygon_geojson("Polygon")
