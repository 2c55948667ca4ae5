-- stepping_bench.lua LIB MODE N: bench/stepping.sh's generated target in
-- LIB, driven N times by one stepping command from a stop:
--   next    s:next() over lines of chain(), each calling work()
--   step    s:step_line() from chain() into work() and back, line by line
--   finish  s:finish() out of deep(), N frames deep, one frame each
-- and prints the nanoseconds the N commands took.
local snare = require "snare"

local path, mode, n = arg[1], arg[2], tonumber(arg[3])
local _lib <close> = assert(snare.load(path))
local s <close> = snare.session { timeout = 60000 }
local entry = mode == "finish" and "deep_bottom" or "chain"
s:breakpoint(entry)
local stop = s:call(mode == "finish" and "deep" or "chain", n)
assert(stop.kind == "breakpoint", tostring(stop))
local command = ({ next = s.next, step = s.step_line, finish = s.finish })[mode]
local monotime = require("system").monotime -- luasystem, busted's
local t0 = monotime()
for _ = 1, n do
  stop = command(s)
  if stop.kind ~= "step" then -- (not assert: its message made every time)
    error(tostring(stop))
  end
end
local elapsed = monotime() - t0
assert(s:continue().kind == "exit")
print(string.format("%.0f", elapsed * 1e9))
