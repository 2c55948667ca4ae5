-- gdb_compare.lua - snare's answers against gdb's: the lines gdb -batch
-- and `snare debug -batch` print differently for the same commands on
-- the same program (the specs of breakpoint placement and numbering:
-- break_line_default, multi_location, naked_line, pending_breakpoints;
-- dwz, C++ at the prompt, info variables and types), and the hit counts
-- of conditional breakpoints (condition_hits, native_conditions).
-- Addresses are taken out (snare's program runs at its load bias before
-- `run`, gdb's at 0), as are the lines only gdb prints about
-- libthread_db, and process ids.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"
local gdb_cache = require "spec.gdb_cache"

local M = {}

local function every_address(line)
  return (line:gsub("0x%x+", "0x"))
end

--- The lines of a debugger's output that are compared: addresses as
-- "0x" (or what `mask`, a function from the line to the line compared,
-- leaves; nil leaves the line out), process ids as "process", without
-- gdb's libthread_db lines.
-- `keep_empty`: empty lines are kept (a listing's blank lines between
-- its files), a last one without its newline is not.
function M.lines(text, keep_empty, mask)
  local kept = {}
  for line in text:gmatch(keep_empty and "([^\n]*)\n" or "[^\n]+") do
    local masked = not line:match("^%[Thread debugging")
      and not line:match("^Using host") and (mask or every_address)(line)
    if masked then
      kept[#kept + 1] = masked:gsub("process %d+", "process")
    end
  end
  return kept
end

--- How many positions of the lists `a` and `b` hold different lines
-- (each compared with the one at its index; the extra ones of the
-- longer list count too). `excused(i, a[i], b[i])`, when given, is
-- asked about each difference: true takes it out of the count into the
-- second result (a difference the spec knows of, or only prints).
function M.differences(a, b, excused)
  local count, excuses = 0, 0
  for i = 1, math.max(#a, #b) do
    if a[i] ~= b[i] then
      if excused and excused(i, a[i], b[i]) then
        excuses = excuses + 1
      else
        count = count + 1
      end
    end
  end
  return count, excuses
end

--- Runs both on `program` (args after it) with `commands`; returns the
-- number of lines that differ (each position compared, and the extra
-- lines of the longer output) and gdb's and snare's lines.
-- `commands.mask`, when set, is what is taken out of each line instead
-- of every address: a function from the line to the line compared.
function M.mismatches(commands, program, ...)
  local gout, gerr = dp.gdb_batch(commands, program, ...)
  local sout, serr = dp.snare_debug(commands, program, ...)
  local g = M.lines(gout .. gerr, false, commands.mask)
  local s = M.lines(sout .. serr, false, commands.mask)
  return M.differences(g, s), g, s
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

--- gdb's hit count of each `break WHERE if TEXT` of `rows` ({where =,
-- text =}), in order, every stop ignored, over a run of `program` with
-- the shell words `arguments` (its output to /dev/null); and gdb's
-- output.
function M.condition_hits(rows, program, arguments)
  -- (gdb without the sanitizer runtime the ASan specs preload)
  local words = { "env -u LD_PRELOAD timeout 300 gdb -nx -batch "
                  .. "-iex 'set debuginfod enabled off'" }
  for i, row in ipairs(rows) do
    words[#words + 1] = string.format("-ex %s -ex 'ignore %d 10000000'",
      helpers.quote("break " .. row.where .. " if " .. row.text), i)
  end
  words[#words + 1] = string.format("-ex %s -ex 'info breakpoints' %s",
    helpers.quote("run " .. (arguments or "") .. " > /dev/null"), program)
  local out = gdb_cache.run(helpers.run, table.concat(words, " "))
  return helpers.hit_counts(out), out
end

--- Rows of a table checked against gdb one by one: `row(i)` says
-- whether row i agrees and gives its line. Returns how many do not and
-- the table's lines, each marked "!!" where its row does not agree.
function M.rows(n, row)
  local mismatches, lines = 0, {}
  for i = 1, n do
    local ok, line = row(i)
    if not ok then
      mismatches = mismatches + 1
    end
    lines[i] = (ok and "   " or "!! ") .. line
  end
  return mismatches, lines
end

return M
