# gdb_libc.py - the gdb half of the libc oracle (run.sh), printing what
# snare_libc.lua prints. Run as
#   ORACLE_MODE=bt|step ORACLE_LINE=N [ORACLE_COUNT=K] \
#   gdb -nx -batch -x gdb_libc.py PROGRAM
# The program calls libc_calls_env(), libc_calls_parse("42") and
# libc_calls_sort(8). gdb's tail-call frames (synthesised from call-site
# DWARF for a function that jumped to another) are printed as "T ...",
# as snare_libc.lua prints snare's.
import os

import gdb


def base(symtab):
    return os.path.basename(symtab.filename) if symtab else "?"


def where(frame):
    sal = frame.find_sal()
    fn = frame.function()
    name = fn.name if fn else (frame.name() or "?")
    return "%s %s %s" % (name, base(sal.symtab), sal.line if sal.symtab else "?")


gdb.execute("set breakpoint pending on")
gdb.execute("set confirm off")
mode = os.environ["ORACLE_MODE"]
gdb.Breakpoint("libc_calls.c:%s" % os.environ["ORACLE_LINE"])
gdb.execute("run", to_string=True)
if mode == "bt":
    frame = gdb.newest_frame()
    while frame is not None:
        kind = "T" if frame.type() == gdb.TAILCALL_FRAME else "F"
        print("%s %s" % (kind, where(frame)))
        if frame.function() and frame.function().name == "libc_calls_sort":
            break
        frame = frame.older()
else:
    for _ in range(int(os.environ["ORACLE_COUNT"])):
        gdb.execute("step", to_string=True)
        print("S %s" % where(gdb.newest_frame()))
gdb.execute("kill", to_string=True)
