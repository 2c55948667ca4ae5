"""first_difference.py GDB SNARE - for each line pair that differs, the
expression and where the texts part (60 characters of each from there)."""
import sys

gdb = open(sys.argv[1], errors="replace").read().split("\n")
snare = open(sys.argv[2], errors="replace").read().split("\n")
expr = "?"
for i in range(max(len(gdb), len(snare))):
    a = gdb[i] if i < len(gdb) else "<missing>"
    b = snare[i] if i < len(snare) else "<missing>"
    if a.startswith("@@@ "):
        expr = a[4:]
    if a == b:
        continue
    at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]),
              min(len(a), len(b)))
    start = max(0, at - 20)
    print(f"{expr}: at {at}\n  gdb:   ...{a[start:at + 60]}\n"
          f"  snare: ...{b[start:at + 60]}")
