-- entry_values_oracle_spec.lua - parameters' values at entry in the
-- prompt's frame lines, as gdb 13 writes them (`set print entry-values
-- default`): "main=main@entry=0x... <main>" where the value at entry (from
-- the caller's call site) is known and the same, "x=9, x@entry=6" where
-- it differs. Compared with gdb on the same program: the backtrace at
-- libc's exit through __libc_start_call_main (libc6-dbg), whose
-- parameters gdb shows in the entry form.
local helpers = require "spec.helpers"
local debugging = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")

-- The frame lines, addresses masked.
local function frames(out)
  local lines = {}
  for line in out:gmatch("[^\n]*") do
    if line:match("^#%d") then
      lines[#lines + 1] = line:gsub("0x%x+", "0x")
    end
  end
  return lines
end

describe("values at entry in frame lines", function()
  it("reads x=x@entry=V in libc's frames as gdb 13 does", function()
    local commands = { "break main", "run", "break exit", "continue", "bt" }
    local ours = frames((debugging.snare_debug(commands, program)))
    local gdbs = frames((debugging.gdb_batch(commands, program)))
    assert.matches("__libc_start_call_main %(main=main@entry=0x <main>, "
                   .. "argc=argc@entry=1, argv=argv@entry=0x%)", gdbs[2] or "")
    print(("entry values against gdb: %d frame lines compared"):format(#gdbs))
    assert.same(gdbs, ours)
  end)
end)
