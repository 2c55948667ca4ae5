-- debug_rerun_spec.lua - what `snare debug -- PROG` keeps from one run
-- of the program to the next, as gdb 13 keeps it: breakpoint numbers
-- (after a delete too), disabled breakpoints, conditions, ignore counts,
-- commands, a temporary breakpoint once it stopped, and the value
-- history ($1, $, $N arithmetic). The same commands through gdb -batch;
-- the lines compared are the stops, the printed values and info
-- breakpoints' rows (without addresses) and hit counts, which start
-- again at each run and are shown until the next run starts.
local helpers = require "spec.helpers"
local gdb_cache = require "spec.gdb_cache"

local program = helpers.program("debug_program")

local quote = helpers.quote

local function run(words)
  local quoted = {}
  for i, w in ipairs(words) do
    quoted[i] = quote(w)
  end
  local pipe = assert(io.popen(table.concat(quoted, " ") .. " 2>/dev/null"))
  local out = pipe:read("a")
  pipe:close()
  return out
end

local function with_commands(words, commands)
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex"
    words[#words + 1] = c
  end
  return words
end

local function comparable(out)
  local lines = {}
  for line in out:gmatch("[^\n]*") do
    local num, disp, enb = line:match("^(%d+) +breakpoint +(%a+) +([yn]) ")
    if num then
      lines[#lines + 1] = table.concat({ num, disp, enb }, " ")
    elseif line:match("^%$%d+ = ") or line:match("^Breakpoint %d+, ")
        or line:match("^Temporary breakpoint %d+, ")
        or line:match("^\tstop only if ") or line:match("^\tignore next ")
        or line:match("^\tbreakpoint already hit ")
        or line:match("^        ") then
      lines[#lines + 1] = line:gsub("0x%x+", "0x"):gsub(" at .*$", "")
    end
  end
  return lines
end

-- The lines of `commands` run by snare and by gdb that differ (printed),
-- and how many gdb's run has.
local function compare(commands)
  local snare_words = with_commands({ "timeout", "120", "bin/snare",
                                      "debug", "-batch" }, commands)
  snare_words[#snare_words + 1] = "--"
  snare_words[#snare_words + 1] = program
  local out = run(snare_words)
  local words = with_commands({ "timeout", "120", "env", "-u", "LD_PRELOAD",
                                "gdb", "-nx", "-batch", "-iex",
                                "set debuginfod enabled off" }, commands)
  words[#words + 1] = program
  local a, b = comparable(out), comparable(gdb_cache.run(run, words))
  local bad = 0
  for i = 1, math.max(#a, #b) do
    if a[i] ~= b[i] then
      bad = bad + 1
      print(string.format("rerun: snare %q, gdb %q", tostring(a[i]),
                          tostring(b[i])))
    end
  end
  return bad, #b, out
end

describe("snare debug -- PROG across runs", function()
  it("keeps breakpoints' numbers and settings and the values, as gdb",
     function()
    local commands = {
      "break add_square", "break scale", "tbreak main", "break worker",
      "delete 1", "condition 2 factor == 2", "disable 4", "ignore 2 1",
      "run", "p 7", "p argc", "info breakpoints",
      "run", "info breakpoints", "p $1", "p $2 + 1", "p $", "p $$3",
      "enable 4", "break debug_program.c:48", "condition 2 factor > 1",
      "run", "info breakpoints", "p p", "p factor",
      "run", "p $8", "p $8 == $8", "info breakpoints", "continue", "kill" }
    local bad, count = compare(commands)
    print(string.format("rerun oracle: %d lines compared, %d mismatches",
                        count, bad))
    assert.is_true(count > 25)
    assert.equals(0, bad)
  end)

  it("shows the last run's hit counts until the next run, as gdb",
     function()
    local bad, count, out = compare {
      "break scale", "break main", "run", "continue", "info breakpoints",
      "run", "info breakpoints", "continue", "continue", "info breakpoints",
      "kill", "info breakpoints" }
    print(string.format("rerun hit counts: %d lines compared, %d mismatches",
                        count, bad))
    -- after the end of the second run (and at kill): that run's counts
    local after = assert(out:match(
      "%[Inferior 1 %(process %d+%) exited[^\n]*(.*)$"))
    local _, shown = after:gsub("\tbreakpoint already hit 1 time\n", "")
    assert.equals(4, shown)
    assert.is_true(count > 10)
    assert.equals(0, bad)
  end)
end)
