#!/usr/bin/env python3
"""Writes the small .npy fixtures of tests/check_dataset.c with numpy itself.

Run from anywhere: /usr/bin/python3 tests/reference/make_npy_fixtures.py
The files go to tests/fixtures/npy/ next to this script's directory.  Each
good fixture's values are printed so that the literal expectations in
check_dataset.c can be compared by eye; they are all small np.arange-style
constructions.
"""
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "npy")


def save(name, arr, version=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            npformat.write_array(f, arr, version=version)
    print(f"{name}: dtype={arr.dtype.str} shape={arr.shape} fortran={np.isfortran(arr)} "
          f"version={version or '(1, 0)'} values={np.ascontiguousarray(arr).ravel().tolist()}")
    return path


def raw(name, data, why):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(f"{name}: {why} ({len(data)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)

    # Good files: every supported dtype, the three header versions, 0-d to 3-d.
    base = save("i4_2d_v1.npy", np.arange(6, dtype="<i4").reshape(2, 3))
    save("u1_1d_v2.npy", np.arange(5, dtype=np.uint8) * 50, version=(2, 0))
    save("f4_1d_v3.npy", np.array([1.5, -2.25, 0.0], dtype="<f4"), version=(3, 0))
    save("i8_0d.npy", np.array(-7, dtype="<i8"))
    save("b1_1d.npy", np.array([True, False, True]))
    save("i8_big.npy", np.array([1, -2, 2**40], dtype="<i8"))
    save("i1_1d.npy", np.array([-128, 0, 127], dtype="i1"))
    save("u2_1d.npy", np.array([0, 1, 65535], dtype="<u2"))
    save("i2_2d.npy", np.array([[-300, 300]], dtype="<i2"))
    save("f8_1d.npy", np.array([0.1, -1e300], dtype="<f8"))
    save("u1_empty_2d.npy", np.zeros((0, 16), dtype=np.uint8))
    # Fortran order: np.save keeps it, the reader must return C order.
    save("i4_2d_fortran.npy", np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)))
    save("i2_3d_fortran.npy", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)))

    # Files the reader must refuse.
    save("i4_big_endian.npy", np.arange(3, dtype=">i4"))
    save("f2_1d.npy", np.array([1.0], dtype="<f2"))
    save("record.npy", np.zeros(2, dtype=[("a", "<i4")]))
    with open(base, "rb") as f:
        good = f.read()
    raw("truncated.npy", good[:-3], "i4_2d_v1.npy without its last 3 bytes")
    raw("truncated_header.npy", good[:30], "i4_2d_v1.npy cut inside the header")
    lie = good.replace(b"'shape': (2, 3)", b"'shape': (3, 3)")
    assert lie != good and len(lie) == len(good)
    raw("shape_lies.npy", lie, "i4_2d_v1.npy with shape (3, 3) over 6 values")
    raw("bad_magic.npy", b"\x93NUMPX" + good[6:], "i4_2d_v1.npy with a broken magic string")


if __name__ == "__main__":
    main()
