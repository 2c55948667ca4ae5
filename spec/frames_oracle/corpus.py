#!/usr/bin/env python3
"""corpus.py GDB-FILE SNARE-FILE [KNOWN-FILE PROGRAM/SETTING [SNARE-AGAIN]]
- compares the frames oracle's two halves
on a corpus program (gdb_frames.py, snare_corpus_frames.lua).

Frames ("F index function file:line inlined") are aligned as sequences
(a frame one side lacks is one mismatch); the variables of aligned frames
are compared by name: one that only one side lists is a mismatch, and
values are compared where both are scalars (integers, pointers,
booleans, floats, enumerators, <optimized out>): a pointer or an integer
beyond 32 bits compares as <addr> (addresses differ between the
processes), a char as its number. Aggregates are not compared.
Differences KNOWN-FILE explains for PROGRAM/SETTING (lines "PROGRAM/SETTING
FUNCTION NAME reason", NAME "-" for a frame only gdb shows) are printed
with their reason and counted apart. A value snare's second run
(SNARE-AGAIN: the same stop in a new process) reads differently is not
deterministic (an uninitialised local) and not compared either. Prints
the differences, then
"frames values skipped frame-mismatches value-mismatches explained".
"""
import difflib
import re
import sys

SCALAR = re.compile(r"-?(?:0x[0-9a-f]+|\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)"
                    r"|true|false|[A-Za-z_]\w*|<optimized out>$")


def canonical(text):
    """The comparable form of a scalar value, or None for others."""
    text = text.strip()
    if text == "<optimized out>":
        return text
    token = text.split(" ", 1)[0]
    if text.startswith(("{", '"', "<", "[")) or not SCALAR.match(token):
        return None
    try:
        n = int(token, 0)
        return "<addr>" if abs(n) >= 1 << 32 else str(n)
    except ValueError:
        pass
    try:
        return repr(float(token))
    except ValueError:
        return token


def read(path):
    frames = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 3)
            if parts[0] == "F" and len(parts) == 4:
                frames.append((parts[2] + " " + parts[3], []))
            elif parts[0] == "V" and len(parts) == 4 and frames:
                frames[-1][1].append((parts[2], parts[3]))
    return frames


def read_known(path, key):
    """{(function, name): reason} for the program and setting key."""
    known = {}
    if path:
        with open(path) as f:
            for line in f:
                parts = line.split(" ", 3)
                if len(parts) == 4 and parts[0] == key:
                    known[(parts[1], parts[2])] = parts[3].strip()
    return known


def unstable_values(first, second):
    """(frame, name, value) of the first run whose comparable form the
    second run's differs from (addresses compare as <addr> in both)."""
    if len(first) != len(second):
        return set()
    unstable = set()
    for a, b in zip(first, second):
        if a[0] != b[0] or len(a[1]) != len(b[1]):
            continue
        for (name, x), (_, y) in zip(a[1], b[1]):
            if canonical(x) != canonical(y):
                unstable.add((a[0], name, x))
    return unstable


def compare(gdb_path, snare_path, known_path=None, key=None, again=None):
    want, got = read(gdb_path), read(snare_path)
    unstable = unstable_values(got, read(again)) if again else set()
    known = read_known(known_path, key)
    counts = {"frames": 0, "values": 0, "skipped": 0, "bad_frames": 0,
              "bad_values": 0, "explained": 0}

    def explained(frame, name):
        reason = known.get((frame.split(" ", 1)[0], name))
        if reason is not None:
            counts["explained"] += 1
            print("known: %s %s: %s" % (frame, name, reason))
        return reason is not None
    matcher = difflib.SequenceMatcher(None, [f[0] for f in want],
                                      [f[0] for f in got], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            counts["frames"] += max(i2 - i1, j2 - j1)
            if op == "delete" and all(explained(f[0], "-")
                                      for f in want[i1:i2]):
                continue
            counts["bad_frames"] += max(i2 - i1, j2 - j1)
            print("frames: gdb %s snare %s" % ([f[0] for f in want[i1:i2]],
                                              [f[0] for f in got[j1:j2]]))
            continue
        for w, g in zip(want[i1:i2], got[j1:j2]):
            counts["frames"] += 1
            wv, gv = sorted(w[1]), sorted(g[1])
            names = sorted({n for n, _ in wv} | {n for n, _ in gv})
            for name in names:
                a = [v for n, v in wv if n == name]
                b = [v for n, v in gv if n == name]
                for x, y in zip(a, b):
                    cx, cy = canonical(x), canonical(y)
                    if (w[0], name, y) in unstable:
                        cx = None
                    if cx is None or cy is None:
                        counts["skipped"] += 1
                        continue
                    counts["values"] += 1
                    if cx != cy and not explained(w[0], name):
                        counts["bad_values"] += 1
                        print("value in %s: %s gdb [%s] snare [%s]"
                              % (w[0], name, x, y))
                if len(a) != len(b) and explained(w[0], name):
                    counts["values"] += abs(len(a) - len(b))
                elif len(a) != len(b):
                    counts["values"] += abs(len(a) - len(b))
                    counts["bad_values"] += abs(len(a) - len(b))
                    print("variable in %s: %s listed by %s only"
                          % (w[0], name, "gdb" if len(a) > len(b) else
                             "snare"))
    print("%(frames)d %(values)d %(skipped)d %(bad_frames)d %(bad_values)d "
          "%(explained)d" % counts)


if __name__ == "__main__":
    compare(*sys.argv[1:6])
