-- breakpoints_bench.lua LIB N: sets N breakpoints by address (the
-- functions f0 .. f(N-1) of bench/breakpoints.sh's library), then clears
-- them, then sets them again in one snare.batch and clears them; prints
-- the microseconds each set, each clear and each batched set took.
local snare = require "snare"

local path, n = arg[1], tonumber(arg[2])
local lib <close> = assert(snare.load(path))
local s <close> = snare.session()
local addresses = {}
for i = 0, n - 1 do
  addresses[#addresses + 1] = assert(lib:symbol("f" .. i))
end
local clock = os.clock
local t0 = clock()
local bps = {}
for i, address in ipairs(addresses) do
  bps[i] = s:breakpoint(address)
end
local t1 = clock()
for _, bp in ipairs(bps) do
  bp:clear()
end
local t2 = clock()
snare.batch(function()
  for i, address in ipairs(addresses) do
    bps[i] = s:breakpoint(address)
  end
end)
local t3 = clock()
for _, bp in ipairs(bps) do
  bp:clear()
end
print(string.format("%.2f %.2f %.2f", (t1 - t0) / n * 1e6,
  (t2 - t1) / n * 1e6, (t3 - t2) / n * 1e6))
