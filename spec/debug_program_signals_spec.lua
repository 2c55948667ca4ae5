-- debug_program_signals_spec.lua - `snare debug -- PROG` and the
-- program's signals as under gdb: a Ctrl-C (SIGINT) that stops the
-- program makes none of its sleeps fail with EINTR, and a program's own
-- SIGINT handler runs when the prompt passes the signal on (`signal
-- SIGINT`, `handle SIGINT pass`), not before. Compared with gdb -batch
-- and with the program run alone.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local sleeper = helpers.program("sleep_check")
local handler = helpers.program("sigint_handler")

-- The lines a program printed (those matching one of `patterns`).
local function program_lines(text, patterns)
  local lines = {}
  for line in text:gmatch("[^\n]*") do
    for _, p in ipairs(patterns) do
      if line:match(p) then
        lines[#lines + 1] = line
        break
      end
    end
  end
  return lines
end

-- dp.comparable's lines but a line of libc's sources, which neither has
-- (gdb says so the first time with "No such file or directory", snare as
-- gdb does later on: "in FILE").
local function comparable(text)
  local lines = {}
  for _, line in ipairs(dp.comparable(text)) do
    if not line:match("^%d+\t.*sysdeps/") then
      lines[#lines + 1] = line
    end
  end
  return lines
end

local sleeps = { "^ready$", "^nanosleep ", "^clock_nanosleep ", "^usleep " }

-- What snare debug and then gdb printed running `commands` on `prog`
-- (with ARGS), interrupted once its main thread waits in `awaited`.
local function both_interrupted(commands, prog, awaited, ...)
  return dp.interrupted(dp.snare_debug_words(commands, prog, ...), awaited),
         dp.interrupted(dp.gdb_words(commands, prog, ...), awaited)
end

describe("snare debug -- PROG, signals", function()
  it("keeps the program's sleeps whole across a Ctrl-C, as gdb", function()
    local alone = dp.run { sleeper, "1" }
    assert.equals("ready\nnanosleep 0 \nclock_nanosleep 0\nusleep 0 \n", alone)
    local commands = { "run", "continue" }
    local out, gdb_out = both_interrupted(commands, sleeper, "clock_nanosleep",
                                          "1")
    assert.matches("\nProgram received signal SIGINT, Interrupt%.\n", out)
    assert.same(program_lines(alone, sleeps), program_lines(out, sleeps))
    assert.same(program_lines(gdb_out, sleeps), program_lines(out, sleeps))
    assert.matches("exited normally%]\nstatus 0\n$", out)
  end)

  it("runs a program's own SIGINT handler at signal SIGINT, as gdb",
     function()
    local out, gdb_out = both_interrupted({ "run", "bt 1", "signal SIGINT" },
                                          handler, "pause")
    -- stopped, not handled, at the Ctrl-C; handled once passed on
    assert.matches("^ready\n\nProgram received signal SIGINT, Interrupt%.\n"
                   .. "[^\n]*pause[^\n]*\n.*\nhandler ran\ncaught 1\n"
                   .. "%[Inferior 1 %(process %d+%) exited normally%]\n"
                   .. "status 0\n$", out)
    assert.same(comparable(gdb_out), comparable(out))
    local said = { "^ready$", "^handler ran$", "^caught " }
    assert.same(program_lines(gdb_out, said), program_lines(out, said))
  end)

  it("passes SIGINT on at continue after handle SIGINT pass, as gdb",
     function()
    local out, gdb_out = both_interrupted(
      { "handle SIGINT pass", "run", "continue" }, handler, "pause")
    assert.matches("^SIGINT is used by the debugger%.\nAre you sure you want "
                   .. "to change it%? %(y or n%) %[answered Y; input not "
                   .. "from terminal%]\nready\n\nProgram received signal "
                   .. "SIGINT, Interrupt%.\n.*\nhandler ran\ncaught 1\n", out)
    assert.same(comparable(gdb_out), comparable(out))
  end)

  it("ends a program that left SIGINT at its default at signal SIGINT, "
     .. "as gdb", function()
    local commands = { "break main", "run", "signal SIGINT" }
    local out, _, status = dp.snare_debug(commands, sleeper)
    assert.equals(0, status)
    assert.same(comparable(dp.gdb_batch(commands, sleeper)), comparable(out))
    assert.matches("\nProgram terminated with signal SIGINT, Interrupt%.\n"
                   .. "The program no longer exists%.\n$", out)
  end)

end)
