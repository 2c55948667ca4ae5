-- tour.lua - a guided tour of snare on the bundled example library.
--
-- Run it with `make demo`. It loads examples/targets/demo.c (built as
-- build/examples/libdemo.so), stops at a conditional breakpoint, reads
-- registers, breaks at a source line, catches a segfault, and runs calls
-- to completion.
local snare = require "snare"

-- The directory of libdemo.so: the first argument (`snare demo` passes it),
-- else $SNARE_EXAMPLES, else build/examples.
local examples = ... or os.getenv("SNARE_EXAMPLES") or "build/examples"
local lib <close> = assert(snare.load(examples .. "/libdemo.so"))
print("loaded " .. lib.path)
local s <close> = snare.session()

local function heading(text)
  print(("\n== %s ==\n"):format(text))
end

heading("1. Call a function of the library on the session's worker thread")
local stop = s:call("fib", 20)
print("fib(20) ->", stop)
print("its value:", stop.value)

heading("2. A breakpoint with a Lua condition: stop only when n == 3")
-- "fib" stops past the prologue, on the function's first line, as gdb's
-- `break fib` does; "*fib" would stop at its very first instruction.
local bp = s:breakpoint("fib", {
  condition = function(frame) return frame.regs.rdi == 3 end,
})
print("set", bp)
stop = s:call("fib", 8)
print("stopped:", stop)
print(("  rdi (n) = %d, rsp = 0x%x, pc = 0x%x"):format(
  stop.regs.rdi, stop.regs.rsp, stop.regs.rip))
print(("  hits so far %d, of which rejected silently %d"):format(bp.hits, bp.rejected))

heading("3. Step one instruction, then continue to the end")
stop = s:step()
print("after one step:", stop)
local stops = 1
stop = s:continue()
while stop.kind == "breakpoint" do
  stops = stops + 1
  stop = s:continue()
end
print(("fib(8) stopped %d times at n == 3; it finished: %s"):format(stops, tostring(stop)))
print(("breakpoint totals: %d hits, %d stops, %d rejected"):format(bp.hits, bp.stops, bp.rejected))
bp:clear()

heading("4. Break at a source line: demo.c:18, the body of collatz_steps' loop")
local line = s:breakpoint("demo.c:18")
stop = s:call("collatz_steps", 6)
print("stopped:", stop)
print(("  in %s at %s:%d"):format(stop.func, stop.file:match("[^/]*$"), stop.line))
stops = 1
while s:continue().kind == "breakpoint" do
  stops = stops + 1
end
print(("collatz_steps(6) ran its loop body %d times"):format(stops))
line:clear()
-- as gdb's break, a line without code is the next line with code; with
-- exact_line it is refused
local _, err = pcall(s.breakpoint, s, "demo.c:12", { exact_line = true })
print("a line without code is refused: " .. err)

heading("5. Change a register at a stop: make fib(10) compute fib(12)")
-- "*fib": the entry, while n is still in rdi (past the prologue, fib has
-- already copied it).
local entry = s:breakpoint("*fib", { temporary = true })
stop = s:call("fib", 10)
stop.regs.rdi = 12
stop = s:continue()
print("fib(10) with n rewritten to 12 ->", stop.value)
print("temporary breakpoint cleared itself:", entry.cleared)

heading("6. A segfault in the target is a stop, not a crash")
stop = s:call("crash", 0)
print(stop)
print(("  faulting pc 0x%x, fault address 0x%x"):format(stop.pc, stop.fault_address))
stop = s:abort()
print("aborted the call:", stop)

heading("7. The session is still good")
print("collatz_steps(27) ->", s:call("collatz_steps", 27).value)
print("reading address 0:", s:read(0, 8))
print("an infinite loop, with a 200 ms timeout:")
s.timeout = 200
stop = s:call("spin_forever")
print("  ", stop)
print("  then aborted:", s:abort())
print("\nDone.")
