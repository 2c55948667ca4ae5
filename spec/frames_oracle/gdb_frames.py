# gdb_frames.py - run inside gdb -batch at a breakpoint stop: prints every
# frame up to main as "F index function file:line inlined" (inlined 0 or
# 1) and its arguments and locals as "V index name value" (gdb's text),
# the arguments first, then the locals (static ones too) innermost block
# first (gdb's `info args` and `info locals`). spec/frames_oracle/corpus.py compares
# this with snare_corpus_frames.lua's output.
import os

import gdb


def variables(frame):
    try:
        block = frame.block()
    except RuntimeError:
        return [], []
    args, local_vars = [], []
    while block is not None:
        for sym in block:
            if sym.is_argument:
                args.append(sym)
            elif sym.is_variable:
                local_vars.append(sym)
        if block.function is not None:
            break
        block = block.superblock
    return args, local_vars


def text(sym, frame):
    try:
        return str(sym.value(frame)).replace("\n", " ")
    except gdb.error as e:
        return "<error: %s>" % e


def main():
    frame = gdb.newest_frame()
    index = 0
    while frame is not None:
        sal = frame.find_sal()
        name = frame.name() or "??"
        where = "%s:%d" % (os.path.basename(sal.symtab.filename)
                           if sal.symtab else "??", sal.line)
        inlined = int(frame.type() == gdb.INLINE_FRAME)
        print("F %d %s %s %d" % (index, name, where, inlined))
        args, local_vars = variables(frame)
        for sym in args + local_vars:
            print("V %d %s %s" % (index, sym.name, text(sym, frame)))
        if name == "main":
            break
        frame = frame.older()
        index += 1


main()
