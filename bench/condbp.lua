-- condbp.lua - one snare run of the loop bench/condbp.sh times.
--
-- usage: lua5.4 bench/condbp.lua MODE N LIBRARY WHERE [MECHANISM]
--   MODE none   calls timed_loop(N) on a snare worker, no breakpoint
--               (baseline)
--        skip   breakpoint with skip = N+1: every hit rejected in C,
--               without entering Lua
--        false  a Lua condition returning false (gdb: `if 0`)
--        var    the Lua condition frame:var("i") == -1: the variable read
--               through DWARF, as gdb's `if i == -1` reads it
--        c      the condition `i == -1` written in C, as a Lua closure:
--               compiled once, its variable read through the program
--               compiled for the breakpoint
--        c_native the same C condition as the prompt's `break ... if i == -1`
--               sets it: lowered at the first hit to a native program that
--               rejects every later false hit without entering Lua
--        c_dwarf the same C condition locating `i` through DWARF at
--               every hit (the evaluator without compiled reads)
--   WHERE      where the breakpoint goes ("benchloop.c:14")
--   MECHANISM  "trap" forces a trap; else snare takes a jump where it can
-- Prints MODE, N, the hits, the mechanism used (and how a condition ran)
-- and the loop's own wall time in ns (timed_loop's result: the clock read
-- in the program around its N calls). Exits with an error unless the
-- call exits and all N hits were rejected, so a timing is never reported
-- for a run that did not do the work.

local snare = require "snare"

local mode, n = arg[1], math.tointeger(tonumber(arg[2] or ""))
local path, where = arg[3], arg[4]
local mechanism = arg[5] ~= "" and arg[5] or nil
if not (mode and n and n > 0 and path and where) then
  io.stderr:write("usage: condbp.lua none|skip|false|var|c|c_native|c_dwarf N "
                  .. "LIBRARY WHERE "
                  .. "[trap]\n")
  os.exit(2)
end

-- The prompt's C condition, as Debugger:compile_condition builds it.
local function c_condition(compiled_reads, native)
  local expr = require "snare.expr"
  local holder = {}
  local env = expr.env {
    frame = function() return holder.frame end,
    compiled_reads = compiled_reads,
  }
  if compiled_reads then -- specialised for the site at its first hit
    return (expr.condition("i == -1", env, holder, true, native)) -- one address
  end
  local compiled = expr.compile("i == -1", env)
  return function(frame)
    holder.frame = frame
    return expr.truth(compiled())
  end
end

local options_by_mode = {
  c = { condition = c_condition(true) },
  c_native = { condition = c_condition(true, true) },
  c_dwarf = { condition = c_condition(false) },
  skip = { skip = n + 1 },
  ["false"] = { condition = function() return false end },
  var = { condition = function(frame) return frame:var("i") == -1 end },
}
if mode ~= "none" and not options_by_mode[mode] then
  error("unknown mode " .. mode)
end

local lib <close> = assert(snare.load(path))
local s <close> = snare.session()
local bp
if mode ~= "none" then
  local options = options_by_mode[mode]
  options.mechanism = mechanism
  bp = s:breakpoint(where, options)
end

local stop = s:call(assert(lib:symbol("timed_loop")), n)
assert(stop.kind == "exit", "loop did not run to the end: " .. tostring(stop))
local loop_ns = stop.return_value

if bp then
  assert(bp.hits == n and bp.rejected == n, string.format(
    "expected %d hits all rejected, got %s hits, %s rejected",
    n, tostring(bp.hits), tostring(bp.rejected)))
  print(mode, n, bp.hits, bp.mechanism, bp.condition_mechanism or "-", loop_ns)
  bp:clear()
else
  print(mode, n, 0, "-", "-", loop_ns)
end
