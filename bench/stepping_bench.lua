-- stepping_bench.lua LIB N: stops at `chain` in LIB (bench/stepping.sh's
-- generated target) and runs N times s:next(), each over a line that
-- calls a function.
local snare = require "snare"

local path, n = arg[1], tonumber(arg[2])
local _lib <close> = assert(snare.load(path))
local s <close> = snare.session { timeout = 60000 }
s:breakpoint("chain")
assert(s:call("chain").kind == "breakpoint")
for _ = 1, n do
  local stop = s:next()
  assert(stop.kind == "step", tostring(stop))
end
assert(s:continue().kind == "exit")
