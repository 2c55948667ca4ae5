-- hookscale_bench.lua - one snare run for bench/hooks.sh to time from
-- outside: how a hook's cost grows with the number of hooks and with
-- the depth of the hooked stack (workloads in bench/hookscale.c).
--
-- usage: lua5.4 bench/hookscale_bench.lua WORKLOAD SIZE HOOK N LIBRARY
--   fan SIZE none|tally    N calls over SIZE leaf functions, all of
--                          them counted (tally) or none hooked
--   deep SIZE none|profile N calls of scale_down nested SIZE deep and
--                          of a leaf at each level, timed (profile) or
--                          not hooked
--   leaf 1 HOOK            N calls of one leaf function (a jump hook)
--   trapped 1 HOOK         N calls of a leaf that keeps a jump out (a trap)
-- Prints the hook mechanism used ("jump hook" or "trap hook"; "-" when
-- nothing is hooked), a tab, and the CPU seconds the N calls took. Fails
-- unless the hooks saw exactly N calls.
local snare = require "snare"

local workload, size, hook_kind = arg[1], math.tointeger(tonumber(arg[2] or "")), arg[3]
local n, path = math.tointeger(tonumber(arg[4] or "")), arg[5]
if not (workload and size and hook_kind and n and path) then
  io.stderr:write("usage: hookscale_bench.lua fan|deep|leaf|trapped SIZE HOOK N LIBRARY\n")
  os.exit(2)
end

local _lib <close> = assert(snare.load(path))
local s <close> = snare.session()
local targets, entry = {}, nil
if workload == "fan" then
  entry = "scale_fan"
  for f = 0, size - 1 do
    targets[#targets + 1] = ("scale_leaf_%d"):format(1000 + f)
  end
elseif workload == "deep" then
  entry = "scale_deep"
  targets = { "scale_down", "scale_leaf_1000" }
elseif workload == "leaf" then
  entry = "scale_fan"
  targets[1] = "scale_leaf_1000"
elseif workload == "trapped" then
  entry = "scale_trapped"
  targets[1] = "scale_trap_leaf"
else
  error("unknown workload " .. workload)
end

local hooks
if hook_kind == "tally" then
  hooks = snare.tally(targets)
elseif hook_kind == "profile" then
  hooks = snare.profile(targets)
elseif hook_kind ~= "none" then
  error("unknown hook " .. hook_kind)
end

-- CPU time of the calls alone (all threads: the worker runs them), so
-- installing thousands of hooks and other load on the machine stay out.
local cpu0 = os.clock()
local stop = s:call(entry, n, size)
local cpu = os.clock() - cpu0
assert(stop.kind == "exit", entry .. " did not run to the end: " .. tostring(stop))
local mechanism = "-"
if hooks then
  local counted, jumps = 0, 0
  for _, row in ipairs(hooks:report()) do
    counted = counted + row.calls
    jumps = jumps + (row.trampoline and 1 or 0)
  end
  -- scale_deep rounds n up to whole descents of 2 * SIZE calls.
  local expected = workload == "deep" and (n + 2 * size - 1) // (2 * size) * 2 * size or n
  assert(counted == expected, ("expected %d calls counted, got %d"):format(expected, counted))
  mechanism = jumps == #targets and "jump hook" or jumps == 0 and "trap hook" or "mixed"
  hooks:close()
end
print(mechanism .. "\t" .. string.format("%.6f", cpu))
