-- hooks_bench.lua - one snare run for bench/hooks.sh to time from outside.
--
-- usage: lua5.4 bench/hooks_bench.lua MODE N LIBRARY
--   MODE none     hot_loop(N) on a snare worker, nothing hooked
--        tally    bench_hot counted in C
--        profile  bench_hot counted and timed in C (entry and exit)
--        lua      a Lua function called at every entry of bench_hot
--        lua_timeout  the same in a session with a timeout, which bounds
--                 each callback (a Lua count hook while it runs)
-- Fails unless the hook saw exactly N calls, so a timing is never
-- reported for a run that did not do the work.
local snare = require "snare"

local mode, n = arg[1], math.tointeger(tonumber(arg[2] or ""))
local path = arg[3]
if not (mode and n and n > 0 and path) then
  io.stderr:write("usage: hooks_bench.lua none|tally|profile|lua|lua_timeout N LIBRARY\n")
  os.exit(2)
end

local _lib <close> = assert(snare.load(path))
local s <close> = snare.session { timeout = mode == "lua_timeout" and 600000 or 0 }
local calls = 0
local hook
if mode == "tally" then
  hook = snare.tally("bench_hot")
elseif mode == "profile" then
  hook = snare.profile("bench_hot")
elseif mode == "lua" or mode == "lua_timeout" then
  hook = snare.hook("bench_hot", function() calls = calls + 1 end)
elseif mode ~= "none" then
  error("unknown mode " .. mode)
end

local stop = s:call("hot_loop", n)
assert(stop.kind == "exit", "hot_loop did not run to the end: " .. tostring(stop))
if mode == "lua" or mode == "lua_timeout" then
  assert(calls == n, ("expected %d Lua calls, got %d"):format(n, calls))
elseif hook then
  local counted = hook:report()[1].calls
  assert(counted == n, ("expected %d calls counted, got %d"):format(n, counted))
end
if hook then
  hook:close()
end
print(mode, n)
