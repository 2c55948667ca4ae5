-- dwarf_lines.lua - snare's side of bench/dwarf.sh: loads a library, then
-- times reading its DWARF (the first question about a line) and resolving
-- each "file:line" of a list to its breakpoint addresses, as s:breakpoint
-- does. Prints "load_ms resolve_ms locations".
-- Usage: lua5.4 bench/dwarf_lines.lua LIB.so LINES.txt
local snare = require "snare"

local lib = assert(snare.load(arg[1]))
local specs = {}
for spec in io.lines(arg[2]) do
  specs[#specs + 1] = spec
end

local t0 = os.clock()
assert(lib:line_at(lib:symbol("big_fn1")), "no DWARF in " .. arg[1])
local t1 = os.clock()
local locations = 0
for _, spec in ipairs(specs) do
  locations = locations + #assert(lib:addresses(spec))
end
local t2 = os.clock()
print(("%.1f %.1f %d"):format((t1 - t0) * 1e3, (t2 - t1) * 1e3, locations))
lib:close()
