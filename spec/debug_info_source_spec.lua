-- debug_info_source_spec.lua - `info source` at the prompt on a program,
-- as gdb 13 prints it: the current file (the stop's, the one listed
-- last), its compilation directory and full name, its lines, and what
-- its unit's DWARF says (language, producer, DWARF version, macro
-- info); in the program's file and in libc's.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")
local raiser = helpers.program("program_signals")

local said = { "^Current source file is ", "^Compilation directory is ",
               "^Located in ", "^Contains %d+ lines%.$",
               "^Source language is ", "^Producer is ",
               "^Compiled with DWARF ", "^Does not include preprocessor ",
               "^Includes preprocessor ", "^No current source file%.$" }

local function source_lines(text)
  return dp.matching(text, said)
end

describe("snare debug -- PROG, info source", function()
  it("says what gdb says of the current source file", function()
    local cases = {
      { program, { "info source", "break main", "run", "info source",
                   "list scale", "info source" } },
      -- (libc's frames, with its inlined __pthread_kill_internal, as
      -- gdb numbers them: its debug file's symbols name them)
      { raiser, { "run", "info source", "up 3", "info source" } },
    }
    local compared = 0
    for _, case in ipairs(cases) do
      local prog, commands = case[1], case[2]
      local out = dp.snare_debug(commands, prog)
      local gdb_out = dp.gdb_batch(commands, prog)
      local lines = source_lines(out)
      assert.same(source_lines(gdb_out), lines)
      compared = compared + #lines
    end
    print(("info source vs gdb: %d lines compared, 0 mismatches")
          :format(compared))
    assert.is_true(compared >= 25)
  end)
end)
