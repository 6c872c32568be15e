"""Rows of a stored array or line file read with ``pread``: nothing of the file is mapped into the process.

Why not memory-mapping: the kernel maps a file's page-cache folios whole (up
to a few MB) at each touch, so a replica that reads a few rows of a 300 MB
array per question soon has most of the file counted in its resident memory
(bench_replica at 100,000 passages: 1.2 GB of mapped index files after 200
questions, for 342 MB of its own). Reading only the rows asked for costs one
system call per contiguous run (microseconds), keeps the process's memory to
what it uses, and leaves the page cache shared by the replicas of a machine.
``os.pread`` takes its own offset, so one open file serves every thread.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np


class _OpenFile:
    """A read-only file descriptor, closed when its owner is garbage-collected."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.fd = os.open(self.path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        weakref.finalize(self, os.close, self.fd)

    def pread(self, length: int, offset: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise OSError(f"{self.path.name}: short read at byte {offset} (the file changed?)")
        return data


class NpyRows:
    """A C-ordered ``.npy`` array whose rows are read on demand.

    Indexing with an int, a step-1 slice or a list of rows returns a NumPy
    array (read-only), as the memory-mapped array did; ``read_ranges`` reads
    many slices in one go.
    """

    def __init__(self, path: Path) -> None:
        self._file = _OpenFile(path)
        with open(path, "rb") as fh:
            major, _ = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(fh)
            self._offset = fh.tell()
        if fortran_order or dtype.hasobject or not shape:
            raise ValueError(f"{Path(path).name}: not a C-ordered array of numbers")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype: np.dtype = dtype
        self._row_items = int(np.prod(shape[1:], dtype=np.int64))
        self._row_bytes = self._row_items * dtype.itemsize
        if self._file.size != self._offset + self.shape[0] * self._row_bytes:
            raise ValueError(f"{Path(path).name}: the file size does not match its header")

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int, end: int) -> np.ndarray:
        """Rows ``start`` to ``end`` (clipped to the array, as a slice would be)."""
        start, end, _ = slice(start, end).indices(len(self))
        count = max(0, end - start)
        data = self._file.pread(count * self._row_bytes, self._offset + start * self._row_bytes) if count else b""
        return np.frombuffer(data, dtype=self.dtype).reshape((count, *self.shape[1:]))

    def read_ranges(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The rows of every ``[start, end)`` range, concatenated in the order given."""
        pieces = [
            self._file.pread((e - s) * self._row_bytes, self._offset + s * self._row_bytes)
            for s, e in zip(np.asarray(starts).tolist(), np.asarray(ends).tolist(), strict=True)
            if e > s
        ]
        return np.frombuffer(b"".join(pieces), dtype=self.dtype).reshape((-1, *self.shape[1:]))

    def take(self, rows) -> np.ndarray:
        """Rows in the order given (repeats allowed); each run of consecutive rows is read at once."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows):
            return np.zeros((0, *self.shape[1:]), dtype=self.dtype)
        rows = np.where(rows < 0, rows + len(self), rows)
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError("row index out of range")
        unique, inverse = np.unique(rows, return_inverse=True)
        breaks = np.flatnonzero(np.diff(unique) != 1) + 1
        starts = unique[np.r_[0, breaks]]
        ends = unique[np.r_[breaks - 1, len(unique) - 1]] + 1
        return self.read_ranges(starts, ends)[inverse]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            i = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError("row index out of range")
            return self.read(i, i + 1)[0]
        if isinstance(key, slice) and key.step in (None, 1):
            return self.read(*key.indices(len(self))[:2])
        return self.take(key)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self.read(0, len(self))
        return whole if dtype is None else whole.astype(dtype)


class LineFile:
    """Byte ranges of a file (one JSON line each), read on demand."""

    def __init__(self, path: Path) -> None:
        self._file = _OpenFile(path)
        self.size = self._file.size

    def read(self, start: int, end: int) -> bytes:
        return self._file.pread(end - start, start) if end > start else b""
