-- condition_threads_spec.lua - conditional breakpoints that two threads
-- hit at the same moment (debug_program: its two workers call worker and
-- add_square right after one barrier) with `snare debug -- PROG`: each
-- hit is decided in its own thread's frame, so the run stops where gdb's
-- does, and `info breakpoints` counts the hits gdb counts (those whose
-- condition holds). A thread that found another thread's condition
-- running used to stop without evaluating its own, and every rejected
-- hit was counted. One run in a few shows the race: several runs each.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")

local RUNS = 12

-- The lines of a run that say where it stopped and what it counted.
local function decided(out)
  local lines = dp.matching(out, { "hit Breakpoint %d+, ", "^Breakpoint %d+, ",
                                   "already hit %d+ time" })
  for i, line in ipairs(lines) do
    lines[i] = line:gsub("^Thread %d+ \"[^\"]*\" hit ", "")
                   :gsub("0x%x+", "0x"):gsub(" at [^ ]*/([^/ ]+:%d+)", " at %1")
  end
  table.sort(lines)
  return lines
end

-- RUNS runs of `snare debug -batch` with `commands`, two at a time (as
-- many as the machine's cores, and the run takes a few seconds): their
-- stdout, stderr and exit status each.
local function snare_runs(commands)
  local words = {}
  for i, w in ipairs(dp.snare_debug_words(commands, program)) do
    words[i] = helpers.quote(w)
  end
  local line = table.concat(words, " ")
  local p = assert(io.popen("mktemp -d"))
  local dir = p:read("l")
  p:close()
  local script = {}
  for i = 1, RUNS do
    script[#script + 1] = string.format(
      "(timeout 120 %s >%s/%d.out 2>%s/%d.err </dev/null; echo $? >%s/%d.rc) &",
      line, dir, i, dir, i, dir, i)
    if i % 2 == 0 then
      script[#script + 1] = "wait"
    end
  end
  script[#script + 1] = "wait"
  assert(os.execute(table.concat(script, "\n")))
  local runs = {}
  for i = 1, RUNS do
    local base = dir .. "/" .. i
    runs[i] = { helpers.read_file(base .. ".out"),
                helpers.read_file(base .. ".err"),
                tonumber(helpers.read_file(base .. ".rc")) }
    for _, ext in ipairs { ".out", ".err", ".rc" } do
      os.remove(base .. ext)
    end
  end
  os.remove(dir)
  return runs
end

describe("conditional breakpoints hit by two threads at once", function()
  for _, where in ipairs { "worker if $rdi == 2", "add_square if index == 1" } do
    it("break " .. where .. ": stops and counts as gdb, run after run",
       function()
      local commands = { "break " .. where, "run", "continue",
                         "info breakpoints" }
      local expected = decided(dp.gdb_batch(commands, program))
      assert.equals(2, #expected) -- one stop, one hit
      assert.matches("already hit 1 time$", expected[1])
      for _, run in ipairs(snare_runs(commands)) do
        local out, err, status = table.unpack(run)
        assert.equals(0, status, out .. err)
        assert.equals("done\n", dp.own_errors(err)) -- the program's
        assert.same(expected, decided(out))
      end
    end)
  end
end)
