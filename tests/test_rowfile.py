"""Rows read with pread equal NumPy's own indexing, and a file that does not match its header is refused."""

from __future__ import annotations

import numpy as np
import pytest

from index.rowfile import LineFile, NpyRows


@pytest.fixture
def matrix(tmp_path):
    array = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "m.npy", array)
    return array, NpyRows(tmp_path / "m.npy")


def test_rows_equal_numpy_indexing(matrix):
    array, rows = matrix
    assert len(rows) == 10 and rows.shape == (10, 4) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[3], array[3])
    np.testing.assert_array_equal(rows[-1], array[-1])
    np.testing.assert_array_equal(rows[2:5], array[2:5])
    np.testing.assert_array_equal(rows[8:20], array[8:20])
    for picked in ([7, 1, 2, 3, 7], [0], [9, 8], [-2, 4]):
        np.testing.assert_array_equal(rows[picked], array[picked])
    assert rows[[]].shape == (0, 4)
    np.testing.assert_array_equal(np.asarray(rows), array)
    np.testing.assert_array_equal(rows.read_ranges(np.array([5, 0, 3]), np.array([7, 1, 3])), array[[5, 6, 0]])
    with pytest.raises(IndexError):
        rows[10]
    with pytest.raises(IndexError):
        rows[[0, 10]]


def test_one_dimensional_arrays(tmp_path):
    np.save(tmp_path / "v.npy", np.arange(5, dtype=np.int64))
    rows = NpyRows(tmp_path / "v.npy")
    assert rows.read(1, 4).tolist() == [1, 2, 3] and rows[4] == 4


def test_a_truncated_file_is_refused(tmp_path):
    np.save(tmp_path / "m.npy", np.ones((10, 4), dtype=np.float32))
    data = (tmp_path / "m.npy").read_bytes()
    (tmp_path / "m.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="size"):
        NpyRows(tmp_path / "m.npy")
    (tmp_path / "m.npy").write_bytes(b"not an array")
    with pytest.raises(ValueError):
        NpyRows(tmp_path / "m.npy")


def test_line_file_reads_byte_ranges(tmp_path):
    (tmp_path / "l.jsonl").write_bytes(b'{"a": 1}\n{"b": 2}\n')
    lines = LineFile(tmp_path / "l.jsonl")
    assert lines.size == 18 and lines.read(9, 18) == b'{"b": 2}\n' and lines.read(3, 3) == b""
