"""Just enough geometry for sectors: is a shop's position inside its sector's polygon?

Sectors are a handful of hand-drawn GeoJSON polygons, so an even-odd ray cast in plain
longitude/latitude is exact enough and spares a GIS dependency. GeoJSON order is
[longitude, latitude].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Ring = Sequence[Sequence[float]]

POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})


def point_in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    count = len(ring)
    for index in range(count):
        x1, y1 = ring[index][0], ring[index][1]
        x2, y2 = ring[(index + 1) % count][0], ring[(index + 1) % count][1]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def point_in_polygon(lon: float, lat: float, rings: Sequence[Ring]) -> bool:
    """Inside the outer ring and outside every hole."""
    if not rings or not point_in_ring(lon, lat, rings[0]):
        return False
    return not any(point_in_ring(lon, lat, hole) for hole in rings[1:])


def geometry_of(geojson: dict[str, Any]) -> dict[str, Any]:
    """Accept a bare geometry or a Feature wrapping one."""
    if geojson.get("type") == "Feature":
        geometry = geojson.get("geometry")
        return geometry if isinstance(geometry, dict) else {}
    return geojson


def contains(geojson: dict[str, Any] | None, lon: float, lat: float) -> bool:
    if not geojson:
        return False
    geometry = geometry_of(geojson)
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return point_in_polygon(lon, lat, coordinates)
    if kind == "MultiPolygon":
        return any(point_in_polygon(lon, lat, polygon) for polygon in coordinates)
    return False


def is_polygon_geojson(geojson: object) -> bool:
    """Shape check for a sector outline: closed rings of at least four [lon, lat] pairs."""
    if not isinstance(geojson, dict):
        return False
    geometry = geometry_of(geojson)
    kind = geometry.get("type")
    if kind not in POLYGON_TYPES:
        return False
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return False
    return all(_is_polygon(polygon) for polygon in polygons)


def _is_polygon(rings: object) -> bool:
    if not isinstance(rings, list) or not rings:
        return False
    return all(_is_ring(ring) for ring in rings)


def _is_ring(ring: object) -> bool:
    if not isinstance(ring, list) or len(ring) < 4:
        return False
    for point in ring:
        if not isinstance(point, list | tuple) or len(point) < 2:
            return False
        lon, lat = point[0], point[1]
        if isinstance(lon, bool) or isinstance(lat, bool):
            return False
        if not isinstance(lon, int | float) or not isinstance(lat, int | float):
            return False
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return False
    return list(ring[0]) == list(ring[-1])


def bounding_box(rings: Sequence[Ring]) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a polygon's outer ring."""
    lons = [point[0] for point in rings[0]]
    lats = [point[1] for point in rings[0]]
    return min(lons), min(lats), max(lons), max(lats)
