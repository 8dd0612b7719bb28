#!/usr/bin/python3
"""An independent safetensors reader (json + numpy only), for test_data.

Usage: read_safetensors.py FILE

Shares no code with host/io/safetensors.cpp: it parses the file from the
format description alone (8-byte little-endian header length, JSON header,
raw little-endian data), checks the layout, and prints what it found so the
C++ test can compare it with what it wrote:

    M<TAB>key<TAB>value                      one line per metadata entry
    T<TAB>name<TAB>dtype<TAB>d0xd1x..<TAB>v0 v1 ...   one line per tensor

Shapes are 'x'-joined ('' for a scalar); floats are printed with repr() of
the value as a Python float, which is exact for F32 and F64, integers in
decimal. Exits 1 with a message on stderr if the file is malformed, and 77
if numpy is missing (the caller skips then).
"""
import json
import struct
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is not installed for " + sys.executable, file=sys.stderr)
    sys.exit(77)

DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}


def fail(msg):
    print("read_safetensors.py: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: read_safetensors.py FILE")
    with open(sys.argv[1], "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("header length %d runs past the end of the file" % n)
    if (8 + n) % 8 != 0:
        fail("data does not start 8-byte aligned (header length %d)" % n)
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]

    meta = header.pop("__metadata__", {})
    for k, v in meta.items():
        if not isinstance(v, str):
            fail("metadata %r is not a string" % k)
        print("M\t%s\t%s" % (k, v))

    spans = []
    for name, info in header.items():
        dt = DTYPES.get(info["dtype"])
        if dt is None:
            fail("tensor %r: unknown dtype %r" % (name, info["dtype"]))
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dt.itemsize:
            fail("tensor %r: %d bytes for shape %s" % (name, end - begin, shape))
        if begin % dt.itemsize != 0:
            fail("tensor %r: offset %d not aligned to %d" % (name, begin, dt.itemsize))
        spans.append((begin, end, name))
        arr = np.frombuffer(data[begin:end], dtype=dt).reshape(shape)
        if dt.kind == "f":
            values = " ".join(repr(float(v)) for v in arr.ravel())
        else:
            values = " ".join(str(int(v)) for v in arr.ravel())
        print("T\t%s\t%s\t%s\t%s" % (name, info["dtype"], "x".join(str(d) for d in shape), values))

    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            fail("tensor %r starts at %d, expected %d" % (name, begin, at))
        at = end
    if at != len(data):
        fail("tensors cover %d of %d data bytes" % (at, len(data)))


if __name__ == "__main__":
    main()
