-- debug_program_scheduler_spec.lua - `snare debug -- PROG` with threads
-- while one of them steps: the others run meanwhile (gdb's default,
-- scheduler-locking replay), a breakpoint one of them hits ends the step
-- as gdb reports it, and `set scheduler-locking on|step|off` keeps them
-- parked when asked. Compared with gdb -batch on the same program.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local program = helpers.program("lock_step")

-- snare debug with a time limit: a step that waits for a parked thread
-- hangs, and the spec must fail rather than wait for it.
local function snare_debug(commands)
  local words = { "timeout", "30" }
  for _, w in ipairs(dp.snare_debug_words(commands, program)) do
    words[#words + 1] = w
  end
  return dp.run(words)
end

describe("snare debug -- PROG, threads while one steps", function()
  it("steps over a lock another thread holds, as gdb", function()
    -- (seen read once assigned: before, it is whatever the stack held)
    local commands = { "break lock_step.c:30", "run", "next", "next",
                       "p seen", "show scheduler-locking", "continue" }
    local out, err, status = snare_debug(commands)
    assert.equals("", dp.own_errors(err))
    assert.equals(0, status)
    local gdb_out = dp.gdb_batch(commands, program)
    assert.same(dp.comparable(gdb_out), dp.comparable(out))
    -- (the holder's end is said where it happens: during a next, say)
    assert.matches("\n30\t  pthread_mutex_lock%(&lock%);\n.*"
                   .. "31\t  int seen = shared;\n"
                   .. "32\t  pthread_mutex_unlock%(&lock%);\n%$1 = 7\n"
                   .. 'Mode for locking scheduler during execution is '
                   .. '"replay"%.\n',
                   (out:gsub("%[Thread 0x%x+ %(LWP %d+%) exited%]\n", "")))
    assert.matches("\nseen 7\n", out)
    assert.matches("exited normally%]\n$", out)
  end)

  it("ends a next where another thread hits a breakpoint, as gdb",
     function()
    local commands = { "break lock_step.c:30", "run", "break lock_step.c:20",
                       "next", "bt 1", "continue" }
    local out, err, status = snare_debug(commands)
    assert.equals("", dp.own_errors(err))
    assert.equals(0, status)
    local gdb_out = dp.gdb_batch(commands, program)
    assert.same(dp.comparable(gdb_out), dp.comparable(out))
    assert.matches('\n%[Switching to Thread 0x%x+ %(LWP %d+%)%]\n\nThread 2 '
                   .. '"lock_step" hit Breakpoint 2, holder %(arg=0x0%) at '
                   .. "../spec/fixtures/programs/lock_step.c:20\n20\t  shared = 7;\n", out)
    assert.matches("\nseen 7\n", out)
  end)

  it("keeps the other threads parked with set scheduler-locking on",
     function()
    -- the holder keeps the lock while it is parked: the step cannot end
    -- by itself, and the session's timeout interrupts it
    local out, err, status = snare_debug {
      "break lock_step.c:30", "run", "set scheduler-locking on",
      "show scheduler-locking", "set timeout 200", "next", "p shared",
      "set scheduler-locking step", "finish", "set scheduler-locking off",
      "continue" }
    assert.equals("", dp.own_errors(err))
    assert.equals(0, status)
    assert.matches('Mode for locking scheduler during execution is "on"%.\n',
                   out)
    assert.matches('\nThread 1 "lock_step" received signal SIGINT, '
                   .. "Interrupt%.\n.*\n%$1 = 0\n", out)
    -- finish is no step: under "step" the holder runs, and main gets it
    -- (finish's stop in the caller of futex_wait; -batch: no "Run till
    -- exit from", as gdb's)
    assert.matches("\n%$1 = 0\n.*__lll_lock_wait %(.*\nseen 7\n", out)
  end)

  it("takes gdb's words for the modes, and refuses others as gdb", function()
    local commands = { "break lock_step.c:30", "run",
                       "set scheduler-locking step", "show scheduler-locking",
                       "set scheduler-locking sometimes",
                       "set scheduler-locking", "kill" }
    local out, err = snare_debug(commands)
    local gdb_out, gdb_err = dp.gdb_batch(commands, program)
    assert.matches('\nMode for locking scheduler during execution is '
                   .. '"step"%.\n', out)
    assert.truthy(gdb_out:find('is "step".', 1, true))
    assert.equals(gdb_err:match('Undefined item: "sometimes"%.\n'),
                  err:match('Undefined item: "sometimes"%.\n'))
    assert.equals('Undefined item: "sometimes".\nRequires an argument. Valid '
                  .. "arguments are off, on, step, replay.\n", err)
  end)
end)
