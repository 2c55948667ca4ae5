-- snare_frames.lua - the snare half of the frames oracle: stops where
-- gdb stops (frames.c:LINE, calling frames_entry(2)) and prints every
-- frame of the fixture with its arguments and locals, in the same
-- line format normalise.py makes of gdb's `bt full`.
-- Usage: lua5.4 snare_frames.lua LIBRARY LINE
local snare = require "snare"

local path, line = arg[1], tonumber(arg[2])

-- gdb's value syntax; normalise.py puts members in a canonical order.
local function render(v)
  local t = type(v)
  if v == nil then return "<optimized out>" end
  if t == "number" then
    return math.type(v) == "integer" and string.format("%d", v)
      or string.format("%.17g", v)
  end
  if t ~= "table" then return tostring(v) end
  local parts = {}
  if #v > 0 then
    for _, x in ipairs(v) do parts[#parts + 1] = render(x) end
  else
    for k, x in pairs(v) do parts[#parts + 1] = k .. " = " .. render(x) end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local lib <close> = assert(snare.load(path))
local s <close> = snare.session { timeout = 10000 }
s:breakpoint("frames.c:" .. line)
local stop = s:call(lib:symbol("frames_entry"), 2)
assert(stop.kind == "breakpoint", "did not stop: " .. tostring(stop.kind))
for _, f in ipairs(s:backtrace()) do
  print(string.format("F %d %s %d", f.index, f.func, f.line))
  for _, e in ipairs(f:params()) do
    print(string.format("V %d %s %s", f.index, e.name, render(e.value)))
  end
  for _, e in ipairs(f:locals()) do
    print(string.format("V %d %s %s", f.index, e.name, render(e.value)))
  end
  if f.func == "frames_entry" then break end
end
s:abort()
