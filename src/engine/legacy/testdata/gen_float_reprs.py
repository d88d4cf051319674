"""Writes float_reprs.txt: `<f64 bits as hex> <Python repr(float)>` per line, the
reference for py_str's float formatting (shortest round-trip digits, exponent
below 1e-4 and from 1e16 on)."""
import os
import random
import struct

random.seed(20240501)
values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100.0, 1e16, 1e15, 9999999999999998.0,
          1234567890123456.0, 12345678901234567.0, 1e-4, 1e-5, 0.00012345, 1.5e-5,
          5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e22, 1e23,
          float(2**53), 2.0**63, 123456789.123, 0.3, 2 / 3, -1e-7, 1e100, 4.35, 82.13]
while len(values) < 600:
    kind = random.random()
    if kind < 0.4:
        bits = random.getrandbits(64)
        v = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if v != v or v in (float("inf"), float("-inf")):
            continue
    elif kind < 0.7:
        v = round(random.uniform(-1e6, 1e6), random.randint(0, 8))
    else:
        v = random.uniform(1, 10) * 10.0 ** random.randint(-30, 30)
    values.append(v)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "float_reprs.txt")
with open(out, "w") as f:
    for v in values:
        f.write("%016x %s\n" % (struct.unpack("<Q", struct.pack("<d", v))[0], repr(v)))
