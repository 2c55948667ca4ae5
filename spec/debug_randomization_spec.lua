-- debug_randomization_spec.lua - `set disable-randomization` at the
-- prompt on a program: on by default, as in gdb 13, the program starts
-- with address space randomisation off.
--
-- Which addresses are gdb's then: those of the program's own image (a
-- PIE's code and data, loaded at the same fixed base in both). Not
-- those of the stack, the heap and the shared libraries, which stay
-- the same from one snare run to the next but differ from gdb's: the
-- kernel lays the environment's strings at the top of the stack, and
-- snare's program starts with the agent's variables in it (LD_PRELOAD,
-- SNARE_AGENT_*, taken out of environ before main but still on the
-- stack) where gdb's has LINES and COLUMNS; the loader maps the
-- preloaded agent and its libraries before the program's own (libc
-- lands lower); the agent allocates before main in the heap the
-- program's malloc then goes on in.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")
local pointers = helpers.program("data_pointers")

-- `commands`, each after an echoed marker (helpers.sections splits the
-- output at them).
local function marked(commands)
  return dp.echoed(commands, function(i) return "@@@ " .. i end)
end

-- The output lines of each of `commands` after `setup` (the commands
-- that stop the program, whose lines are left out), by the command's
-- index, under snare or (`gdb`) gdb.
local function outputs(setup, commands, prog, gdb)
  local typed = {}
  for _, c in ipairs(setup) do
    typed[#typed + 1] = c
  end
  for _, c in ipairs(marked(commands)) do
    typed[#typed + 1] = c
  end
  local run = gdb and dp.gdb_batch or dp.snare_debug
  local out, err = run(typed, prog)
  return helpers.sections(out .. err)
end

local function joined(sections, count)
  local lines = {}
  for i = 1, count do
    lines[#lines + 1] = table.concat(sections[i] or { "(none)" }, "\n")
  end
  return lines
end

-- The places the program's own image gives (at a stop in scale): its
-- code, its data, a string of its .rodata that a local points to.
local image = { "p &total", "p scale", "p $pc", "p/x $pc", "p p->name",
                "p &lock", "info symbol $pc", "x/2xg &total",
                "info line *$pc", "p main", "output &total",
                "p (char *)&total + 3", "x/s p->name", "p &p->name[2]" }
local at_scale = { "break scale", "run" }

-- The places that move with the stack, the heap and the libraries (at
-- line 29 of data_pointers.c, after its malloc).
local moving = { "p heap", "p &local", "p $sp", "p &counter", "p printf",
                 "p &table" }
local at_29 = { "break 29", "run" }

describe("snare debug -- PROG, set disable-randomization", function()
  it("starts the program with the addresses gdb's has", function()
    local mine = joined(outputs(at_scale, image, program), #image)
    local gdb = joined(outputs(at_scale, image, program, true), #image)
    local bad = helpers.mismatches("disable-randomization", mine, gdb)
    local lines = 0
    for _, text in ipairs(gdb) do
      lines = lines + select(2, text:gsub("\n", "")) + 1
    end
    print(("disable-randomization vs gdb: %d commands, %d lines, %d "
           .. "mismatches"):format(#image, lines, bad))
    assert.equal(0, bad)
    assert.matches("^%$1 = %(int %*%) 0x555555558080 <total>$", mine[1])
  end)

  it("keeps the stack, the heap and the libraries in place from one run "
     .. "to the next, and moves them when off", function()
    -- (under the sanitizer runtime the specs may preload into the program,
    -- malloc is ASan's, whose heap is at a fixed place either way)
    local sanitized = (os.getenv("LD_PRELOAD") or ""):find("asan") ~= nil
    -- The heap stays where it starts; where in it the program's block
    -- falls depends on what the agent's threads allocated first, which
    -- varies from run to run (by 0xd0 bytes in one CI run): its MiB.
    local function place(c, text)
      local addr = c == "p heap" and text:match("0x(%x+)")
      return addr and tonumber(addr, 16) >> 20 or text
    end
    local first = joined(outputs(at_29, moving, pointers), #moving)
    local second = joined(outputs(at_29, moving, pointers), #moving)
    for i, c in ipairs(moving) do
      assert.equal(place(c, first[i]), place(c, second[i]), c .. " stayed")
    end
    local off = { "set disable-randomization off", "break 29", "run" }
    local a = joined(outputs(off, moving, pointers), #moving)
    local b = joined(outputs(off, moving, pointers), #moving)
    for i, c in ipairs(moving) do
      assert.matches("^%$%d+ = ", a[i])
      if not (sanitized and c == "p heap") then
        assert.are_not.equal(a[i], b[i], c .. " moved")
        assert.are_not.equal(first[i], a[i], c .. " moved")
      end
    end
    -- a process not run yet is started anew when the setting changed; its
    -- stack and libraries are where the first run's were (not its heap,
    -- where the agent of a later process keeps what earlier ones left)
    local again = joined(outputs({ "set disable-randomization off",
                                   "set disable-randomization on",
                                   "break 29", "run" }, moving, pointers),
                         #moving)
    for i = 2, #moving do
      assert.equal(first[i], again[i])
    end
  end)

  it("leaves the program's arguments, environment, output and status as "
     .. "they are", function()
    local words = { "sh", "-c", 'echo "$0 $1"; exit 5', "zero", "one" }
    local env_on = dp.snare_debug({ "run" }, "/usr/bin/env")
    local env_off = dp.snare_debug({ "set disable-randomization off", "run" },
                                   "/usr/bin/env")
    local function unnumbered(text)
      return (text:gsub("process %d+", "process N"))
    end
    assert.equal(unnumbered(env_off), unnumbered(env_on))
    assert.matches("\nPATH=", env_on)
    for _, setting in ipairs { "on", "off" } do
      local out = dp.snare_debug({ "set disable-randomization " .. setting,
                                   "run" }, table.unpack(words))
      assert.matches("^zero one\n%[Inferior 1 %(process %d+%) exited with "
                     .. "code 05%]\n$", out)
    end
  end)
end)
