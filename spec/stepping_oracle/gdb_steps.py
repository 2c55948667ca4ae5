# gdb_steps.py - run inside gdb -batch: after the breakpoint stop, repeats
# STEP_COMMAND up to STEP_COUNT times and prints "SEQ func:line ...".
# Returning into the test program's main counts as "exit", as the entry's
# return ends a snare call.
import os

import gdb


def where():
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        return "exit"
    if frame.name() == "main":
        return "exit"
    return "%s:%d" % (frame.name(), frame.find_sal().line)


def main():
    command = os.environ["STEP_COMMAND"]
    seq = [where()]
    for _ in range(int(os.environ["STEP_COUNT"])):
        if seq[-1] == "exit":
            break
        try:
            gdb.execute(command, to_string=True)
        except gdb.error:
            seq.append("exit")
            break
        seq.append(where())
    print("SEQ " + " ".join(seq))


main()
