-- dwarf_lines.lua - snare's side of bench/dwarf.sh: loads a library and
-- sets breakpoints on the "file:line" locations of a list in a session,
-- as `snare debug LIB` with `break file:line` commands does: the first
-- breakpoint reads what its unit needs of the DWARF. Fails unless every
-- breakpoint was set. The script measures nothing: dwarf.sh times the
-- whole process, as it does gdb's.
-- Usage: lua5.4 bench/dwarf_lines.lua LIB.so LINES.txt COUNT
local snare = require "snare"

local _lib <close> = assert(snare.load(arg[1]))
local s <close> = snare.session {}
local count, set = tonumber(arg[3]), 0
for spec in io.lines(arg[2]) do
  if set == count then break end
  assert(s:breakpoint(spec), spec)
  set = set + 1
end
assert(set == count, ("set %d of %d breakpoints"):format(set, count))
