# Generates python-floats.tsv: float.hex(d), repr(d), floatToGoString(d) with prometheus_client
# utils.py at its 0.25.0 head saved as /tmp/utils_head.py; run by /usr/bin/python3.
import random, struct, sys
sys.path.insert(0, '/tmp')
from utils_head import floatToGoString
random.seed(20261125)
vals = [0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 1/3, 2/3, 0.005, 0.01, 0.025, 0.05, 0.075, 0.25, 0.5,
        0.75, 2.5, 5.0, 7.5, 10.0, 100.0, 1e-4, 1e-5, 0.00012345, 1e5, 1e6, 999999.0, 1000000.0,
        1234567.0, 1234567.5, 1e7, 1.5e7, 1e9, 9999999999.0, 1e10, 1.5e10, 12345678901.25,
        1e15, 1e16, 1e17, 1.2345e22, 1e23, 2e23, 5e-324, 2.2250738585072014e-308,
        1.7976931348623157e308, 9007199254740993.0, 0.1 + 0.2, 123456.789, 4.35, 2.675,
        float('inf'), float('-inf'), float('nan'), -1e6, -1234567.0, 3e-5, 0.001]
for p in range(-30, 30):
    vals.append(2.0 ** p)
    vals.append(10.0 ** p)
for _ in range(400):
    bits = random.getrandbits(64)
    d = struct.unpack('<d', struct.pack('<Q', bits))[0]
    if d == d and abs(d) != float('inf'):
        vals.append(d)
for _ in range(300):
    vals.append(round(random.uniform(0, 10 ** random.randint(0, 12)), random.randint(0, 6)))
print('# float.hex\trepr\tfloatToGoString  (written by /usr/bin/python3 with prometheus_client'
      ' utils.py at its 0.25.0 head; see GoFloatTest)')
for d in vals:
    print(f'{float.hex(d)}\t{repr(d)}\t{floatToGoString(d)}')
