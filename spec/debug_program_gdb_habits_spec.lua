-- debug_program_gdb_habits_spec.lua - `snare debug -- PROG` against gdb
-- -batch on the same program, the commands typed by habit: stops inside
-- the dynamic loader, info symbol, info line, clear, convenience
-- variables, every x format, the narrow register names. Each case counts
-- the lines that differ (addresses, pids and gdb's thread_db lines taken
-- out) and prints the count.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

-- `text`'s lines, with what differs between two runs of the same program
-- taken out: addresses, in hex or as long decimal numbers (gdb runs it
-- without address randomisation), the process id, gdb's libthread_db
-- lines.
local function normalised(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do
    if not line:match("^%[Thread debugging using") and
       not line:match("^Using host libthread_db") then
      lines[#lines + 1] = (line:gsub("0x%x+", "0x")
        :gsub("%d%d%d%d%d%d%d%d%d%d%d+", "N"):gsub("process %d+", "process N"))
    end
  end
  return lines
end

-- Runs `commands` under both; prints the differing lines and their
-- count, which it returns.
local function mismatches(what, commands, prog, ...)
  local out, err = dp.snare_debug(commands, prog, ...)
  local gdb_out, gdb_err = dp.gdb_batch(commands, prog, ...)
  local mine = normalised(out .. dp.own_errors(err))
  local theirs = normalised(gdb_out .. dp.own_errors(gdb_err))
  local count = 0
  for i = 1, math.max(#mine, #theirs) do
    if mine[i] ~= theirs[i] then
      count = count + 1
      io.stderr:write(("  %d: snare %q\n     gdb   %q\n"):format(
        i, mine[i] or "(none)", theirs[i] or "(none)"))
    end
  end
  io.stderr:write(("gdb habits (%s): %d lines, %d mismatches\n"):format(
    what, #theirs, count))
  return count
end

describe("snare debug -- PROG as gdb 13", function()
  it("stops in the dynamic loader with its frames named", function()
    -- lazy binding of printf and fflush goes through _dl_fixup; the
    -- loader is the one the program runs, not a second copy of it
    local commands = { "break main", "run", "break _dl_fixup", "continue",
                       "bt", "info frame", "finish", "continue", "bt", "up",
                       "info frame", "info sharedlibrary" }
    assert.equal(0, mismatches("loader", commands))
    local out = dp.snare_debug(commands)
    assert.matches("\n#1  0x%x+ in _dl_runtime_resolve_%w+ %(%) at ", out)
    assert.not_matches("%?%? %(%)", out)
  end)
end)
