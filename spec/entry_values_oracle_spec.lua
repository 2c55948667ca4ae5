-- entry_values_oracle_spec.lua - parameters' values at entry in the
-- prompt's frame lines, as gdb 13 writes them (`set print entry-values
-- default`): "main=main@entry=0x... <main>" where the value at entry (from
-- the caller's call site) is known and the same, "x=9, x@entry=6" where
-- it differs. Compared with gdb on the same program: the backtrace at
-- libc's exit through __libc_start_call_main (libc6-dbg), whose
-- parameters gdb shows in the entry form; and a frame's tostring in the
-- Lua API, which writes them the same way (core.argument_text), against
-- gdb's bt at two calls of spec/fixtures/optimised.c's entry_changed
-- (-O2), the second after x changed.
local helpers = require "spec.helpers"
local debugging = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")
local snare = require "snare"

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

describe("values at entry in the Lua API's frame text", function()
  local lib
  setup(function() lib = helpers.load("optimised", "O2") end)
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  it("writes x=x@entry=V and 'x=V, x@entry=E' as gdb 13's bt", function()
    -- gdb: the fixture preloaded into a bare program, the same call made
    local gdb_out = debugging.gdb_batch(
      { "set pagination off",
        "set environment LD_PRELOAD=" .. helpers.fixture("optimised", "O2"),
        "break main", "run", "break optimised_use",
        "call entry_changed_caller()", "bt 3", "continue", "bt 3" },
      helpers.program("bare"))
    local gdbs = {}
    for line in gdb_out:gmatch("[^\n]*") do
      if line:match("^#%d") then -- "#1  0x... in f (x=...) at ../d/f.c:37"
        -- (the file as gdb names it, as the API does too)
        gdbs[#gdbs + 1] = line:gsub("^#%d+%s+", ""):gsub("^0x%x+ in ", "")
      end
    end
    local s = helpers.session{ timeout = 10000 }
    s:breakpoint("optimised_use")
    local ours = {}
    for _, stop in ipairs { s:call("entry_changed_caller"), "continue" } do
      if stop == "continue" then stop = s:continue() end
      assert.equals("breakpoint", stop.kind)
      for i = 1, 3 do ours[#ours + 1] = tostring(s:backtrace()[i]) end
    end
    assert.equals("entry_changed (x=24, x@entry=6) at "
                  .. "../spec/fixtures/optimised.c:37",
                  gdbs[5])
    print(("entry values of the API against gdb: %d frame lines compared")
          :format(#gdbs))
    assert.same(gdbs, ours)
    assert.equals("x=<optimized out>, x@entry=5",
                  snare.core.argument_text("x", "<optimized out>", "5"))
  end)
end)
