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
local raiser = helpers.program("program_signals")
local waiter = helpers.program("wait_check")

-- The lines a program printed (those matching one of `patterns`).
local program_lines = dp.matching

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

-- What both say of a program's signals: the stops and ends, the
-- program's own lines, the handle table's rows (not the frames: libc's
-- inlined ones differ).
local signal_said = { "^Program ", "^The program ", "^%[Inferior", "^handled ",
               "^after ", "^done$", "^Signal ", "^SIG" }
local function signal_lines(text)
  local lines = {}
  for _, line in ipairs(program_lines(text, signal_said)) do
    lines[#lines + 1] = line:gsub("process %d+", "process N")
  end
  return lines
end

-- Runs `commands` with snare and gdb on the program that raises signals
-- (with `...` its arguments); asserts they say the same; returns
-- snare's output.
local function same_as_gdb(commands, ...)
  local out, err, status = dp.snare_debug(commands, raiser, ...)
  local gdb_out, gdb_err, gdb_status = dp.gdb_batch(commands, raiser, ...)
  assert.same(signal_lines(gdb_out .. gdb_err), signal_lines(out .. err))
  assert.equals(gdb_status, status)
  return out
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

  -- (not epoll_wait: it fails with EINTR under gdb too, the kernel does
  -- not restart it after a ptrace stop, and in snare the SIGINT that ends
  -- it comes before the stop, which the program may outrun)
  it("keeps the program's pause, poll, select, ppoll and pselect waiting "
     .. "across a Ctrl-C, as gdb", function()
    for _, call in ipairs { "pause", "poll", "select", "ppoll", "pselect" } do
      local alone = dp.run { waiter, call, "1" }
      local expected = call == "pause" and "pause -1 Interrupted system call"
        or call .. " 0 "
      assert.equals("ready\n" .. expected .. "\n", alone)
      local commands = { "run", "continue" }
      local out = dp.interrupted(dp.snare_debug_words(commands, waiter, call,
                                                      "1"), call)
      local gdb_out = dp.interrupted(dp.gdb_words(commands, waiter, call, "1"),
                                     call)
      assert.matches("\nProgram received signal SIGINT, Interrupt%.\n", out)
      local waits = { "^ready$", "^" .. call .. " " }
      assert.same(program_lines(alone, waits), program_lines(out, waits))
      assert.same(program_lines(gdb_out, waits), program_lines(out, waits))
      assert.matches("exited normally%]\nstatus 0\n$", out)
    end
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

  -- The agent's SIGINT handler wakes the thread that interrupts the
  -- program: on a busy machine it can preempt the handler, whose thread
  -- then stopped in sem_post (futex_wake) instead of the program's pause
  -- (about 1 run in 12 under two busy loops before the fix).
  it("stops a loaded program at a SIGINT where it waits, not in snare's "
     .. "handler", function()
    local busy = assert(io.popen("for _ in 1 2; do timeout 60 sh -c "
      .. "'while :; do :; done' >/dev/null 2>&1 & echo $!; done"))
    local loaders = busy:read("a")
    busy:close()
    local stops = {}
    local ok, failure = pcall(function()
      for i = 1, 12 do
        local out = dp.interrupted(dp.snare_debug_words(
          { "run", "bt 1", "signal SIGINT" }, handler), "pause")
        stops[i] = out:match("Interrupt%.\n([^\n]*)") or out
      end
    end)
    os.execute("kill " .. loaders:gsub("%s+", " ") .. " 2>/dev/null")
    assert(ok, failure)
    for i, stop in ipairs(stops) do
      assert.is_truthy(stop:match("pause"), "run " .. i .. ": " .. stop)
    end
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

  it("stops at a signal the program raises and passes it on, as gdb",
     function()
    local out = same_as_gdb { "run", "bt", "continue",
                              "info signals SIGUSR1" }
    assert.matches("^\nProgram received signal SIGUSR1, User defined signal "
                   .. "1%.\n.*\nhandled SIGUSR1\nafter SIGUSR1 1\nhandled "
                   .. "SIGALRM\nafter SIGALRM 1\ndone\n", out)
    assert.matches("\n#%d  0x%x+ in main %(", out)
  end)

  it("follows handle's stop, print and pass, and signal 0, as gdb",
     function()
    local out = same_as_gdb({ "handle SIGALRM stop print", "run", "continue",
                              "continue", "signal 0", "continue" }, "x")
    assert.matches("\nProgram received signal SIGALRM, Alarm clock%.\n", out)
    assert.matches("\nProgram received signal SIGUSR2, User defined signal "
                   .. "2%.\n.*\ndone\n%[Inferior 1 %(process %d+%) exited "
                   .. "normally%]\n$", out)
    out = same_as_gdb({ "handle SIGUSR1 nostop", "handle SIGUSR2 nostop "
                        .. "noprint", "run" }, "x")
    assert.matches("\nProgram terminated with signal SIGUSR2, User defined "
                   .. "signal 2%.\nThe program no longer exists%.\n$", out)
    out = same_as_gdb({ "handle SIGUSR1 nopass", "run", "continue",
                        "continue" }, "x")
    assert.matches("\nafter SIGUSR1 0\n", out)
    -- the table goes on to the next run
    out = same_as_gdb { "handle SIGUSR1 nostop noprint", "run", "run",
                        "info signals SIGUSR1" }
    assert.not_matches("received", out)
    assert.matches("\nSIGUSR1       No\tNo\tYes\t\tUser defined signal 1\n$",
                   out)
  end)

  it("shows the handle table as gdb", function()
    -- handle's table is shown to a user (no -batch), not in batch mode
    local commands = { "handle SIGUSR1 SIGUSR2 nostop noprint",
                       "handle SIGINT nopass", "handle 14-15 nopass",
                       "handle SIGALRM", "info handle SIG34", "info signals 10" }
    local words = dp.snare_debug_words(commands, raiser)
    table.remove(words, 3) -- -batch
    local out = dp.run(words)
    local gdb_words = dp.gdb_words(commands, raiser)
    table.remove(gdb_words, 6) -- -batch
    table.insert(gdb_words, 6, "-q")
    local gdb_out = dp.run(gdb_words)
    assert.same(program_lines(gdb_out, signal_said),
                program_lines(out, signal_said))
    assert.matches("\nSIGUSR2       No\tNo\tYes\t\tUser defined signal 2\n",
                   out)
    -- the whole table: gdb's rows for Linux's signals, but those snare
    -- never sees (SIGKILL, SIGSTOP, job control) and its own
    local all = dp.snare_debug({ "info signals" }, raiser)
    local gdb_all = dp.gdb_batch({ "info signals" }, raiser)
    local gdb_rows, count, differ = {}, 0, {}
    for line in gdb_all:gmatch("[^\n]+") do
      gdb_rows[line:match("^(%S+)")] = line
    end
    for line in all:gmatch("[^\n]+") do
      count = count + 1
      if gdb_rows[line:match("^(%S+)")] ~= line then
        differ[#differ + 1] = line:match("^(%S+)")
      end
    end
    assert.is_true(count > 60)
    assert.same({ "SIGKILL", "SIGSTOP", "SIGTSTP", "SIGCONT", "SIGTTIN",
                  "SIGTTOU", "SIG41", "SIG42" }, differ)
  end)

  it("stops at a signal sent to the program, as gdb", function()
    local commands = { "run", "bt 1", "continue" }
    local out = dp.interrupted(dp.snare_debug_words(commands, handler), "pause",
                               nil, "USR1")
    local gdb_out = dp.interrupted(dp.gdb_words(commands, handler), "pause",
                                   nil, "USR1")
    assert.matches("^ready\n\nProgram received signal SIGUSR1, User defined "
                   .. "signal 1%.\n", out)
    assert.same(comparable(gdb_out), comparable(out))
  end)
end)

