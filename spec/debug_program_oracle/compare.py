#!/usr/bin/env python3
"""compare.py GDB SNARE - the lines of `bt`, `info args`, `info locals`
and `print` that gdb and `snare debug -- PROG` printed at the same stops,
normalised (addresses, source paths, gdb's entry values), then matched in
order. Prints each line only one side has and, last, "LINES MISMATCHES"
(gdb's compared lines, lines only one side has)."""
import difflib
import re
import sys

KEEP = re.compile(r"^(#\d+ |\$\d+ = |[A-Za-z_]\w* = |No locals\.|No arguments\.)")


def normalise(line):
    line = re.sub(r"0x[0-9a-f]+", "0x", line)
    line = re.sub(r" at (?:\S*/)?([^/\s]+:\d+)", r" at \1", line)
    line = re.sub(r"\b(\w+)=\1@entry=", r"\1=", line)  # gdb's entry values
    line = re.sub(r"\$\d+ = ", "$ = ", line)  # history numbers across runs
    return line


def lines(path):
    with open(path, errors="replace") as f:
        return [normalise(l.rstrip("\n")) for l in f if KEEP.match(l)]


def main():
    gdb, snare = lines(sys.argv[1]), lines(sys.argv[2])
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
    print(len(gdb), bad)


main()
