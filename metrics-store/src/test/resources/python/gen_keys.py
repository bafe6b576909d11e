# Generates python-keys.tsv with /usr/bin/python3: each line is an input (a JSON list
# [family, sample, [[label, value], ...], help], ASCII-escaped) and the key prometheus_client's
# mmap_key writes for it: json.dumps([family, sample, dict(labels), help], sort_keys=True).
import json
cases = [
    ["jobs", "jobs_total", [], "Jobs."],
    ["jobs", "jobs_total", [["queue", "default"], ["outcome", "ok"]], "Jobs done, by queue."],
    ["g", "g", [["b", "x"], ["a", "y"], ["_z", "1"], ["A", "2"], ["a1", "3"], ["a_", "4"]], ""],
    ["h", "h_bucket", [["route", "/c/\u00fc"], ["le", "+Inf"]], "Latency with \\ backslash and \"quotes\"."],
    ["c", "c_total", [["v", "quote\" back\\slash new\nline tab\tcr\rbs\bff\f"]], "h"],
    ["c", "c_total", [["v", "".join(chr(i) for i in range(0, 32)) + "\x7f ~"]], "ctl"],
    ["c", "c_total", [["v", "caf\u00e9 \u20ac \u4e2d\u6587 \U0001F600 \U00010348"]], "non-ascii \u00e9"],
    ["c", "c_total", [["v", "lone \ud800 surrogate \udfff"]], "s"],
    ["c", "c_total", [["v", "/ slash and 'single' and <html> & \u00a0 nbsp \u2028 ls"]], "misc"],
    ["c", "c_total", [["v", ""]], "empty value"],
    ["ns:sub_metric", "ns:sub_metric_total", [["x", "{\"json\": [1, 2]}"]], "Help\nwith newline."],
]
print('# input JSON\tPython key  (written by /usr/bin/python3; see gen_keys.py and MetricKeyTest)')
for family, sample, labels, help_text in cases:
    spec = json.dumps([family, sample, labels, help_text])
    key = json.dumps([family, sample, dict(labels), help_text], sort_keys=True)
    print(spec + '\t' + key)
