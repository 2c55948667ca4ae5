# breaks.py - gdb's breakpoint locations, printed in the driver's form:
#   N break ADDR...        for `break FILE:N`, N in FIRST..LAST
#   NAME func ADDR...      for `break NAME`, each name in ORACLE_FUNCS
# Lines gdb refuses print nothing. Run by run.sh as
#   ORACLE_FILE=f ORACLE_FIRST=1 ORACLE_LAST=n ORACLE_FUNCS="a b" \
#   gdb -nx -batch -x breaks.py OBJECT
import os

import gdb


def locations(spec):
    try:
        bp = gdb.Breakpoint(spec, internal=True)
    except gdb.error:
        return None
    addrs = sorted({loc.address for loc in bp.locations})
    bp.delete()
    return " ".join("0x%x" % a for a in addrs)


gdb.execute("set breakpoint pending off")
source = os.environ["ORACLE_FILE"]
for line in range(int(os.environ["ORACLE_FIRST"]),
                  int(os.environ["ORACLE_LAST"]) + 1):
    found = locations("%s:%d" % (source, line))
    if found:
        print("%d break %s" % (line, found))
for name in os.environ.get("ORACLE_FUNCS", "").split():
    found = locations(name)
    if found:
        print("%s func %s" % (name, found))
