-- marks.lua - marks: places the code itself declares as interesting
-- (SNARE_MARK in C, a JIT's own sites, <sys/sdt.h> USDT probes). They cost
-- a nop until something is attached to them, and they carry data that
-- snare evaluates at the hit, whatever register the compiler chose.
--
-- Run it with `make example NAME=marks`.
--
-- expect: 3 SNARE_MARK sites in sum_squares, 1 probe demo:square with 2 arguments
-- expect: stopped at marks with data2 = 1, 2, 3
-- expect: entry and exit marks: n = 4, sum = 30
-- expect: probe demo:square: 1 1, 2 5, 3 14, 4 30
-- expect: sum_squares%(4%) = 30 with 0 marks armed
-- expect: ok: marks
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local lib <close> = assert(snare.load(examples .. "/libprobes.so"))
local s <close> = snare.session { timeout = 5000 }

-- Loading the library registered its marks and found its probes (from
-- the ELF notes <sys/sdt.h> leaves, as readelf -n lists them).
local native = 0
for _, mark in ipairs(lib:marks()) do
  if not mark.provider then native = native + 1 end
end
local probe = lib:probes()[1]
print(("%d SNARE_MARK sites in sum_squares, %d probe %s:%s with %d arguments")
  :format(native, #lib:probes(), probe.provider, probe.name, #probe.args))

-- Break on every mark whose data1 is 7 (the loop's): a filter, not an
-- address, so marks registered later match too.
local id = assert(snare.mark_break(s, { data1 = 7 }))
local seen = {}
local stop = s:call("sum_squares", 3)
while stop.kind == "breakpoint" do
  seen[#seen + 1] = stop.data2
  stop = s:continue()
end
print("stopped at marks with data2 = " .. table.concat(seen, ", "))
snare.mark_break_clear(id)

-- A mark hook runs Lua at the hit without stopping. ENTER and LEAVE are
-- libjit's conventions for function entry and exit.
local ENTER, LEAVE = 10001, 10002
local entry, exit
do
  local _enter <close> = snare.mark_hook({ data1 = ENTER }, function(_, _, n)
    entry = n
  end)
  local _leave <close> = snare.mark_hook({ data1 = LEAVE }, function(_, _, sum)
    exit = sum
  end)
  s:call("sum_squares", 4)
end
print(("entry and exit marks: n = %d, sum = %d"):format(entry, exit))

-- A probe hook gets the probe's arguments, as a USDT tracer would.
local steps = {}
do
  local _hook <close> = snare.probe_hook(lib, "demo:square", function(i, sum)
    steps[#steps + 1] = i .. " " .. sum
  end)
  s:call("sum_squares", 4)
end
print("probe demo:square: " .. table.concat(steps, ", "))

-- Once nothing is attached the marks are nops again.
local armed = 0
for _, mark in ipairs(lib:marks()) do
  if mark.armed ~= 0 then armed = armed + 1 end
end
print(("sum_squares(4) = %d with %d marks armed"):format(
  s:call("sum_squares", 4).value, armed))
print("ok: marks")
