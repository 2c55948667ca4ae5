-- condbp.lua - one snare run for bench/run.sh to time from outside.
--
-- usage: lua5.4 bench/condbp.lua MODE N [LIBRARY]
--   MODE none  calls loop(N) on a snare worker, no breakpoint (baseline)
--        skip  breakpoint on visit_step() with skip = N+1: every hit is
--              rejected in C, without entering Lua (trap + out-of-line step)
--        lua   breakpoint on visit_step() whose Lua condition returns false
-- LIBRARY defaults to build/bench/libbenchloop.so (built by run.sh).
-- Exits with an error unless the call exits and all N hits were rejected,
-- so a timing is never reported for a run that did not do the work.

local snare = require "snare"

local mode, n = arg[1], math.tointeger(tonumber(arg[2] or ""))
local path = arg[3] or "build/bench/libbenchloop.so"
if not (mode and n and n > 0) then
  io.stderr:write("usage: condbp.lua none|skip|lua N [LIBRARY]\n")
  os.exit(2)
end

local never = function() return false end
local options_by_mode = {
  skip = { skip = n + 1 },
  lua = { condition = never },
}
if mode ~= "none" and not options_by_mode[mode] then
  error("unknown mode " .. mode)
end

local lib <close> = assert(snare.load(path))
local s <close> = snare.session()
local bp
if mode ~= "none" then
  bp = s:breakpoint(assert(lib:symbol("visit_step")), options_by_mode[mode])
end

local stop = s:call(assert(lib:symbol("loop")), n)
assert(stop.kind == "exit", "loop did not run to the end: " .. tostring(stop))

local hits = bp and bp.hits or 0
if bp then
  assert(bp.hits == n and bp.rejected == n, string.format(
    "expected %d hits all rejected, got %s hits, %s rejected",
    n, tostring(bp.hits), tostring(bp.rejected)))
  bp:clear()
end
print(mode, n, hits)
