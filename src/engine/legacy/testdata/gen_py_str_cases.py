"""Writes py_str_cases.jsonl: `[value, str(value)]` per line, where value is
random JSON (tricky strings, floats, nesting) as Python's json.loads gives it
and str() is what the Python library would have stored. Run with python3.13
(the Unicode version of ../unicode_printable.rs)."""
import json
import os
import random

random.seed(7)
ALPHABET = ["a", "Z", " ", "'", '"', "\\", "\n", "\t", "\r", "\x00", "\x1f", "\x7f", "\x85",
            "\xa0", "\xad", "\xe9", "\u0301", "\u0378", "\u2028", "\u200b", "\u200f", "\ufeff",
            "\ue000", "\u4e2d", "\u2713", "\U0001F680", "\U000E0001", "\U0001FAE8", "\U00031350",
            "{", "[", ":", ","]


def text():
    return "".join(random.choice(ALPHABET) for _ in range(random.randint(0, 6)))


def number():
    kind = random.random()
    if kind < 0.4:
        return random.randint(-10**6, 10**6)
    if kind < 0.5:
        return random.choice([2**63 - 1, -2**63, 2**64 - 1, 0])
    return random.choice([random.uniform(-1e3, 1e3), random.uniform(0, 1) * 10.0 ** random.randint(-20, 20),
                          1e16, 1e-5, 100.0, -0.0, 0.1])


def value(depth):
    kind = random.random()
    if depth < 3 and kind < 0.25:
        return [value(depth + 1) for _ in range(random.randint(0, 4))]
    if depth < 3 and kind < 0.45:
        return {text(): value(depth + 1) for _ in range(random.randint(0, 4))}
    if kind < 0.65:
        return text()
    if kind < 0.85:
        return number()
    return random.choice([True, False, None])


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_str_cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for _ in range(400):
        v = json.loads(json.dumps(value(0)))
        f.write(json.dumps([v, str(v)]) + "\n")
