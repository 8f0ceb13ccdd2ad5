"""In-file deduplication: the grid used for point classes finds exactly the duplicates the
general (tree and distance) method finds, across batches and inside one."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from importers.pipeline import FileDuplicates


def _batches(seed: int) -> list[np.ndarray]:
    """Points in metres, in clumps (so that many lie within a few metres of each other,
    across cell borders and batch borders), split into uneven batches."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-200, 200, size=(150, 2)) + [500_000.0, 3_340_000.0]
    xy = centres[rng.integers(0, len(centres), 3_000)] + rng.normal(0, 2.5, size=(3_000, 2))
    cuts = sorted(rng.choice(np.arange(1, len(xy)), 6, replace=False))
    return np.split(xy, cuts)


def _run(batches: list[np.ndarray], metres: float, grid: bool) -> list[tuple[int, int, float]]:
    dups = FileDuplicates(metres)
    found = []
    start = 1
    for xy in batches:
        rows = np.arange(start, start + len(xy))
        keys = [""] * len(xy)
        shapes = xy if grid else np.asarray(shapely.points(xy), dtype=object)
        for j, first, _reason, distance in dups.check("0402", rows, shapes, keys, grid):
            found.append((int(rows[j]), first, round(distance, 6)))
        start += len(xy)
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("metres", [0.5, 3.0, 12.0])
def test_point_grid_finds_the_same_duplicates_as_the_tree(seed: int, metres: float) -> None:
    batches = _batches(seed)
    by_grid = _run(batches, metres, grid=True)
    assert by_grid == _run(batches, metres, grid=False)
    assert len(by_grid) > 100  # the clumps do produce duplicates, in and across batches


def test_points_on_cell_borders_and_at_negative_coordinates() -> None:
    # 1 m apart across a cell border (cells are 2 m wide here), and below zero
    batches = [np.array([[1.5, -0.5], [-3.9, -3.9]]), np.array([[2.4, -0.6], [-4.1, -4.1]])]
    assert _run(batches, 2.0, grid=True) == _run(batches, 2.0, grid=False)
    assert [row for row, _first, _d in _run(batches, 2.0, grid=True)] == [3, 4]
