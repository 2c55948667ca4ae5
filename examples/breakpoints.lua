-- breakpoints.lua - breakpoints that decide for themselves: Lua conditions,
-- skip and max counts, source-line breakpoints. (examples/tour.lua shows
-- temporary breakpoints and changing registers at a stop.)
--
-- Run it with `make example NAME=breakpoints`.
--
-- expect: fib%(7%) was called 8 times, fib%(1%) 144 times
-- expect:   hits 465, stops 0, rejected 465
-- expect: stopped 8 times at n == 7, called from n = 8, 9, 8, 8, 9, 8, 9, 8
-- expect: skip 5, max 2: stopped at n = 0, 1; breakpoint cleared itself
-- expect: demo%.c:18 reached 8 times in collatz_steps%(6%)
-- expect: ok: breakpoints
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local _lib <close> = assert(snare.load(examples .. "/libdemo.so"))
local s <close> = snare.session { timeout = 5000 }

-- Runs the call to the end, collecting what `at_stop` returns at each stop.
local function run(stop, at_stop)
  local seen = {}
  while stop.kind == "breakpoint" do
    seen[#seen + 1] = at_stop(stop)
    stop = s:continue()
  end
  assert(stop.kind == "exit", tostring(stop))
  return seen, stop
end

-- A condition that always says no is a logpoint: it runs on the trapped
-- thread at each hit and the call never hands control back to us.
local calls_by_n = {}
local bp = s:breakpoint("fib", {
  condition = function(frame)
    local n = frame:var("n")
    calls_by_n[n] = (calls_by_n[n] or 0) + 1
    return false
  end,
})
local stop = s:call("fib", 12)
print(("fib(12) = %d without stopping: fib(7) was called %d times, fib(1) %d times")
  :format(stop.value, calls_by_n[7], calls_by_n[1]))
print(("  hits %d, stops %d, rejected %d"):format(bp.hits, bp.stops, bp.rejected))
bp:clear()

-- A condition that says yes sometimes: at each stop the whole stack is
-- ours to look at, the caller's variables included.
bp = s:breakpoint("fib", {
  condition = function(frame) return frame:var("n") == 7 end,
})
local callers = run(s:call("fib", 12), function()
  return s:frame(1):var("n")
end)
print(("fib(12) stopped %d times at n == 7, called from n = %s"):format(
  #callers, table.concat(callers, ", ")))
bp:clear()

-- skip and max are counted in C, without running Lua at all: the cheapest
-- way to stop at "the 6th call".
bp = s:breakpoint("fib", { skip = 5, max = 2 })
local seen = run(s:call("fib", 5), function() return s:frame(0):var("n") end)
print(("skip 5, max 2: stopped at n = %s; breakpoint %s"):format(
  table.concat(seen, ", "), bp.cleared and "cleared itself" or "still set"))

-- A source line: every address gdb's `break demo.c:18` would use.
bp = s:breakpoint("demo.c:18")
seen = run(s:call("collatz_steps", 6), function(at) return at.line end)
print(("demo.c:18 reached %d times in collatz_steps(6)"):format(#seen))
bp:clear()

print("ok: breakpoints")
