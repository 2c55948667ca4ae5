-- gdb_compare.lua - the lines gdb -batch and `snare debug -batch` print
-- differently for the same commands on the same program (the specs of
-- breakpoint placement and numbering: break_line_default, multi_location,
-- naked_line, pending_breakpoints). Addresses are taken out (snare's
-- program runs at its load bias before `run`, gdb's at 0), as are the
-- lines only gdb prints about libthread_db, and process ids.
local helpers = require "spec.debug_program_helpers"

local M = {}

local function every_address(line)
  return (line:gsub("0x%x+", "0x"))
end

local function lines(text, mask)
  local kept = {}
  for line in text:gmatch("[^\n]+") do
    if not line:match("^%[Thread debugging") and not line:match("^Using host")
    then
      kept[#kept + 1] = (mask or every_address)(line):gsub("process %d+",
                                                           "process")
    end
  end
  return kept
end

--- Runs both on `program` (args after it) with `commands`; returns the
-- number of lines that differ (each position compared, and the extra
-- lines of the longer output) and gdb's and snare's lines.
-- `commands.mask`, when set, is what is taken out of each line instead
-- of every address: a function from the line to the line compared.
function M.mismatches(commands, program, ...)
  local gout, gerr = helpers.gdb_batch(commands, program, ...)
  local sout, serr = helpers.snare_debug(commands, program, ...)
  local g = lines(gout .. gerr, commands.mask)
  local s = lines(sout .. serr, commands.mask)
  local count = 0
  for i = 1, math.max(#g, #s) do
    if g[i] ~= s[i] then
      count = count + 1
    end
  end
  return count, g, s
end

--- M.mismatches, with the count printed (and both outputs when not 0):
-- returns the count and gdb's lines for the spec to assert on.
function M.assert_same(name, commands, program, ...)
  local count, g, s = M.mismatches(commands, program, ...)
  print(string.format("%s: %d mismatches with gdb", name, count))
  if count > 0 then
    print("gdb:\n" .. table.concat(g, "\n") .. "\nsnare:\n"
          .. table.concat(s, "\n"))
  end
  return count, g
end

return M
