-- starti_spec.lua - `starti` of `snare debug -- PROG`: the program stops
-- before its own code runs, shown as gdb shows the stop ("Program
-- stopped." and "0x... in _start ()"). gdb stops at the dynamic
-- loader's first instruction; the prompt runs in the agent's
-- constructor, after the loader, so snare's earliest stop is the
-- program's entry point (AT_ENTRY): before the C library's start code
-- and the program's constructors, which here have not set `answer` yet.
local helpers = require "spec.helpers"

local function run(program, commands)
  local words = {}
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex '" .. c .. "'"
  end
  local pipe = assert(io.popen(string.format(
    "timeout 60 bin/snare debug -batch %s -- %s 2>&1",
    table.concat(words, " "), program)))
  local out = pipe:read("a")
  pipe:close()
  return out
end

describe("starti", function()
  it("stops at the program's entry point, before its constructors", function()
    local out = run(helpers.program("constructed"),
                    { "starti", "p answer", "p $pc", "info registers rip",
                      "stepi", "continue" })
    assert.matches("^\nProgram stopped%.\n0x%x+ in _start %(%)\n%$1 = %(int "
                   .. "%(%*%)%(void%)%) 0x0\n%$2 = %(void %(%*%)%(%)%) 0x%x+ "
                   .. "<_start>\nrip +0x%x+ +0x%x+ <_start>\n0x%x+ in _start "
                   .. "%(%)\n", out)
    -- (stepi's stop without source shows its instruction too, as snare's
    -- stops there do; gdb's shows only the frame line)
    assert.matches("\nanswer 42\n%[Inferior 1 %(process %d+%) exited with "
                   .. "code 04%]\n$", out)
  end)

  it("runs again from the entry point in a new process, breakpoints kept",
     function()
    local out = run(helpers.program("debug_program"),
                    { "break scale", "starti", "continue", "starti",
                      "info breakpoints", "continue", "kill" })
    local _, stops = out:gsub("\nProgram stopped%.\n0x%x+ in _start %(%)\n",
                              "")
    assert.equals(2, stops)
    assert.matches("\nBreakpoint 1, scale %(p=0x%x+, factor=2%) at "
                   .. "../spec/fixtures/programs/debug_program.c:20\n", out)
    -- the entry point's breakpoint is snare's own: not listed, no number
    assert.matches("\n1       breakpoint     keep y   0x%x+ in scale at "
                   .. "../spec/fixtures/programs/debug_program.c:20\n",
                   out)
    assert.not_matches("\n%-?%d+ +breakpoint +del", out)
  end)
end)
