-- condition_threads_spec.lua - Lua conditions of breakpoints hit by
-- several attached threads at once: each hit is decided in its own
-- thread's frame, however long that thread waits for the Lua turn
-- (another thread's condition has it, or the controller is between two
-- waits). A thread that could not get the turn at once used to stop
-- without evaluating its condition. Through the Lua API on the threads
-- fixture, and through `snare debug -- PROG` on debug_program against
-- gdb's stops and hit counts. One run in a few showed the race: several
-- rounds each. A watchpoint's Lua condition (an execute watchpoint on
-- the function the threads call) waits as a breakpoint's does.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local WAIT = 10000 -- ms; a deadlock fails the wait instead of hanging
local ROUNDS = 5

describe("Lua conditions on four attached threads", function()
  local lib = helpers.load("threads")
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  -- Starts n workers, each calling thread_hit(i) for i < iterations, and
  -- gives the stops of the run (events of type stop_type, default
  -- breakpoint stops), each resumed at once, once all n detached; checks
  -- their results.
  local function run_workers(s, n, iterations, stop_type)
    local stop = s:call("start_workers", n, s:handle(), iterations, 0)
    assert.equals(n, stop.return_value)
    local stops, detached = {}, 0
    while detached < n do
      local ev = assert(s:wait_event(WAIT))
      if ev.type == (stop_type or "hard-breakpoint") then
        stops[#stops + 1] = ev
        assert.is_true(s:thread_resume(ev.thread))
      elseif ev.type == "detach" then
        detached = detached + 1
      end
    end
    -- each thread's sum of thread_hit(i) = 3i + 1 for i < iterations
    local sum = 3 * iterations * (iterations - 1) // 2 + iterations
    assert.equals(n * sum, s:call("join_workers").return_value)
    return stops
  end

  -- The stops of four threads: each once, at thread_hit(7).
  local function assert_each_once_at_7(stops, round)
    local where, threads = {}, {}
    for _, ev in ipairs(stops) do
      where[#where + 1] = ev.regs.rdi
      threads[ev.thread] = (threads[ev.thread] or 0) + 1
    end
    assert.same({ 7, 7, 7, 7 }, where, "round " .. round)
    for t, count in pairs(threads) do
      assert.equals(1, count, "thread " .. t)
    end
  end

  it("stops each thread once, where its condition holds", function()
    local n, iterations = 4, 50
    for round = 1, ROUNDS do
      local s = helpers.session{timeout = WAIT}
      local bp = s:breakpoint("*thread_hit", {condition = function(frame)
        return frame.regs.rdi == 7
      end})
      assert_each_once_at_7(run_workers(s, n, iterations), round)
      assert.equals(n * iterations, bp.hits)
      assert.equals(n, bp.stops)
      s:close()
    end
  end)

  it("runs every hit's condition: none stops undecided", function()
    local n, iterations = 4, 50
    local s = helpers.session{timeout = WAIT}
    local calls = 0
    local bp = s:breakpoint("*thread_hit", {condition = function(frame)
      calls = calls + 1
      return frame.regs.rdi < 0 -- never
    end})
    assert.same({}, run_workers(s, n, iterations))
    assert.equals(n * iterations, calls)
    assert.equals(n * iterations, bp.hits)
    assert.equals(0, bp.stops)
  end)

  -- An execute watchpoint at thread_hit's first instruction: its
  -- condition sees the argument in rdi.
  local function watch_hit(s, condition)
    return s:watch(lib:symbol("thread_hit"), { kind = "execute", len = 1,
                                               condition = condition })
  end

  it("runs a watchpoint's condition at every hit; only where it holds "
     .. "stops", function()
    local n, iterations = 4, 50
    for round = 1, ROUNDS do
      local s = helpers.session{timeout = WAIT}
      local calls = 0
      local wp = watch_hit(s, function(frame)
        calls = calls + 1
        return frame.regs.rdi == 7
      end)
      local stops = run_workers(s, n, iterations, "watchpoint")
      for _, ev in ipairs(stops) do
        assert.equals(wp, ev.watchpoint)
      end
      assert_each_once_at_7(stops, round)
      assert.equals(n * iterations, calls, "round " .. round)
      assert.equals(n * iterations, wp.hits)
      assert.equals(n, wp.stops)
      s:close()
    end
  end)
end)

-- The lines of a CLI run that say where it stopped and what it counted.
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

local CLI_RUNS = 8

-- CLI_RUNS runs of `snare debug -batch` with `commands`, two at a time
-- (the machine's cores): their stdout, stderr and exit status each.
local function snare_runs(commands)
  local words = {}
  for i, w in ipairs(dp.snare_debug_words(commands)) do
    words[i] = helpers.quote(w)
  end
  local line = table.concat(words, " ")
  local p = assert(io.popen("mktemp -d"))
  local dir = p:read("l")
  p:close()
  local script = {}
  for i = 1, CLI_RUNS do
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
  for i = 1, CLI_RUNS do
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

describe("snare debug -- PROG, a conditional breakpoint two threads hit "
         .. "at once", function()
  for _, where in ipairs { "add_square if index == 1", "worker if $rdi == 2" } do
    it("break " .. where .. ": stops and counts as gdb, run after run",
       function()
      local commands = { "break " .. where, "run", "continue",
                         "info breakpoints" }
      local expected_lines = decided(dp.gdb_batch(commands))
      assert.equals(2, #expected_lines) -- one stop, one hit
      assert.matches("already hit 1 time$", expected_lines[1])
      for _, run in ipairs(snare_runs(commands)) do
        local out, err, status = table.unpack(run)
        assert.equals(0, status, out .. err)
        assert.equals("done\n", dp.own_errors(err)) -- the program's
        assert.same(expected_lines, decided(out))
      end
    end)
  end
end)
