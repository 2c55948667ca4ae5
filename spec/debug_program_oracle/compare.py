#!/usr/bin/env python3
"""compare.py GDB SNARE [GDB_AGAIN SNARE_AGAIN] - the lines of `bt`,
`info args`, `info locals` and `print` that gdb and `snare debug -- PROG`
printed at the same stops, normalised (addresses, source paths, gdb's
entry values), then matched in order. With a second run of each tool: a
line whose value differs between a tool's two runs (an uninitialised
local, a value read from the clock) is not compared, on either side,
and counted apart. Prints each line only one side has and, last, "LINES
MISMATCHES UNSTABLE" (gdb's compared lines, lines only one side has,
lines left out as unstable)."""
import difflib
import re
import sys

KEEP = re.compile(r"^(#\d+ |\$\d+ = |[A-Za-z_]\w* = |No locals\.|No arguments\.)")
UNSTABLE = "<differs between runs>"


def normalise(line):
    line = re.sub(r"0x[0-9a-f]+", "0x", line)
    line = re.sub(r" at (?:\S*/)?([^/\s]+:\d+)", r" at \1", line)
    line = re.sub(r"\b(\w+)=\1@entry=", r"\1=", line)  # gdb's entry values
    line = re.sub(r"\$\d+ = ", "$ = ", line)  # history numbers across runs
    return line


def lines(path):
    with open(path, errors="replace") as f:
        return [normalise(l.rstrip("\n")) for l in f if KEEP.match(l)]


def key(line):
    """What a line is about: a variable's name, a frame's number and
    function, a printed value."""
    frame = re.match(r"^(#\d+ +(?:0x in )?\S+)", line)
    if frame:
        return frame.group(1)
    return line.split(" = ", 1)[0]


def keyed(lines_):
    """(key, occurrence) of each line: the k-th line about the same."""
    seen, out = {}, []
    for line in lines_:
        k = key(line)
        seen[k] = seen.get(k, 0) + 1
        out.append((k, seen[k]))
    return out


def unstable(first, second):
    """The (key, occurrence) of lines that differ between two runs."""
    a, b = keyed(first), keyed(second)
    by_key = dict(zip(b, second))
    return {k for k, line in zip(a, first) if by_key.get(k, line) != line}


def masked(lines_, keys):
    return [key(l) + " " + UNSTABLE if k in keys else l
            for k, l in zip(keyed(lines_), lines_)]


def main():
    gdb, snare = lines(sys.argv[1]), lines(sys.argv[2])
    keys = set()
    if len(sys.argv) > 4:
        keys = (unstable(gdb, lines(sys.argv[3]))
                | unstable(snare, lines(sys.argv[4])))
    gdb, snare = masked(gdb, keys), masked(snare, keys)
    dropped = sum(1 for l in gdb if l.endswith(UNSTABLE))
    bad = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, gdb, snare, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        for l in gdb[i1:i2]:
            print("  gdb:   " + l[:160])
        for l in snare[j1:j2]:
            print("  snare: " + l[:160])
        bad += max(i2 - i1, j2 - j1)
    print(len(gdb) - dropped, bad, dropped)


main()
