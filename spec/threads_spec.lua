-- threads_spec.lua - threads that attach themselves (the threads fixture),
-- events, per-thread control, Lua conditions on attached threads.
local helpers = require "spec.helpers"

local STOP_AT_ATTACH, UNBREAKABLE, SPIN = 1, 2, 4
local WAIT = 10000 -- ms; a deadlock fails the wait instead of hanging

-- sum of thread_hit(i) = 3i + 1 for i < n
local function expected(n)
  return 3 * n * (n - 1) // 2 + n
end

describe("threads and events", function()
  local lib

  setup(function()
    lib = helpers.load("threads")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    lib:close()
  end)

  local function start(s, n, iterations, flags)
    local stop = s:call("start_workers", n, s:handle(), iterations, flags or 0)
    assert.equals("exit", stop.kind)
    assert.equals(n, stop.return_value)
  end

  local function join(s)
    return s:call("join_workers").return_value
  end

  local function next_event(s, type)
    local ev, err = s:wait_event(WAIT)
    assert(ev, err)
    assert.equals(type, ev.type)
    return ev
  end

  it("posts attach and detach events with ids after the worker's", function()
    local s = helpers.session{timeout = WAIT}
    start(s, 2, 3, STOP_AT_ATTACH)
    local ids = {}
    for _ = 1, 2 do
      local ev = next_event(s, "attach")
      assert.equals(1, ev.data1)
      assert.equals("attach of thread " .. ev.thread .. " (stopped)",
                    tostring(ev))
      assert.is_true(ev.thread > s.thread and ev.thread <= s.thread + 2)
      assert.is_true(s:thread_alive(ev.thread))
      assert.is_false(s:thread_running(ev.thread))
      ids[#ids + 1] = ev.thread
    end
    assert.not_equals(ids[1], ids[2])
    local threads = s:threads()
    assert.equals(3, #threads)
    assert.same({id = s.thread, state = "idle", worker = true}, threads[1])
    assert.equals("stopped", threads[2].state)
    local ok, msg = s:thread_resume(ids[1], "step")
    assert.is_nil(ok)
    assert.matches("not in a state", msg)
    for _, id in ipairs(ids) do
      assert.is_true(s:thread_resume(id))
    end
    next_event(s, "detach")
    next_event(s, "detach")
    assert.equals(2 * expected(3), join(s))
    assert.is_false(s:thread_alive(ids[1]))
    assert.equals(1, #s:threads())
    assert.same({nil, "timeout"}, {s:wait_event(0)})
  end)

  it("reports breakpoint hits with breakpoint, function and stack", function()
    local s = helpers.session{timeout = WAIT}
    local bp = s:breakpoint("*thread_hit")
    start(s, 1, 2)
    local id = next_event(s, "attach").thread
    for _ = 1, 2 do
      local ev = next_event(s, "hard-breakpoint")
      assert.equals(id, ev.thread)
      assert.equals(bp, ev.breakpoint)
      assert.equals(bp.id, ev.breakpoint_id)
      assert.equals(lib:symbol("thread_hit"), ev.pc)
      assert.equals(ev.pc, ev.func)
      assert.equals("thread_hit", ev.name)
      assert.equals(ev.pc, ev.stack[1])
      assert.equals(0, ev.data1)
      assert.equals(0, ev.data2)
      assert.equals(string.format(
        "hard-breakpoint on thread %d at 0x%x <thread_hit> (breakpoint %d)",
        id, ev.pc, bp.id), tostring(ev))
      assert.is_true(s:thread_resume(id, "continue"))
    end
    next_event(s, "detach")
    assert.equals(expected(2), join(s))
    assert.equals(2, bp.stops)
  end)

  it("steps one thread: a soft breakpoint one instruction on", function()
    local s = helpers.session{timeout = WAIT}
    s:breakpoint("*thread_hit", {temporary = true})
    start(s, 1, 1)
    local id = next_event(s, "attach").thread
    local at = next_event(s, "hard-breakpoint").pc
    assert.is_true(s:thread_resume(id, "step"))
    local ev = next_event(s, "soft-breakpoint")
    assert.equals(id, ev.thread)
    assert.is_nil(ev.breakpoint_id)
    assert.is_true(ev.pc > at and ev.pc < at + 16)
    assert.is_true(s:thread_resume(id))
    next_event(s, "detach")
    assert.equals(expected(1), join(s))
  end)

  it("lets unbreakable threads and other threads run through", function()
    local s = helpers.session{timeout = WAIT}
    start(s, 2, 2, STOP_AT_ATTACH)
    local a = next_event(s, "attach").thread
    local b = next_event(s, "attach").thread
    local only_b = s:breakpoint("*thread_hit", {thread = b})
    assert.is_true(s:thread_breakable(b, false))
    s:thread_resume(a)
    s:thread_resume(b)
    next_event(s, "detach")
    next_event(s, "detach")
    assert.equals(2 * expected(2), join(s))
    assert.equals(0, only_b.hits, "a is filtered out, b unbreakable")
    start(s, 2, 2, UNBREAKABLE)
    for _ = 1, 2 do
      local ev = assert(s:wait_event(WAIT))
      assert.is_true(ev.type == "attach" or ev.type == "detach")
      ev = assert(s:wait_event(WAIT))
      assert.is_true(ev.type == "attach" or ev.type == "detach")
    end
    assert.equals(2 * expected(2), join(s))
    assert.equals(0, only_b.hits)
  end)

  it("stops a spinning thread on a break request", function()
    local s = helpers.session{timeout = WAIT}
    start(s, 1, 1, SPIN)
    local id = next_event(s, "attach").thread
    while not s:thread_running(id) do end
    assert.is_true(s:thread_break(id))
    local ev = next_event(s, "user-breakpoint")
    assert.equals(id, ev.thread)
    assert.is_nil(s:thread_break(id))
    s:call("release_spinners")
    s:thread_resume(id)
    next_event(s, "detach")
    assert.equals(expected(1), join(s))
  end)

  it("delivers quit in order and times out when idle", function()
    local s = helpers.session{timeout = WAIT}
    assert.is_true(s:quit())
    start(s, 1, 1, STOP_AT_ATTACH)
    next_event(s, "quit")
    local id = next_event(s, "attach").thread
    s:quit()
    s:thread_resume(id)
    local quit = next_event(s, "quit")
    assert.equals(0, quit.thread)
    assert.equals("quit", tostring(quit))
    next_event(s, "detach")
    join(s)
    assert.same({nil, "timeout"}, {s:wait_event(10)})
  end)

  it("loses no event with 8 threads hitting a breakpoint", function()
    local s = helpers.session{timeout = WAIT}
    local n, iterations = 8, 100
    local bp = s:breakpoint("*thread_hit")
    start(s, n, iterations)
    local hits, phase, detached = {}, {}, 0
    while detached < n do
      local ev = assert(s:wait_event(WAIT))
      local t = ev.thread
      if ev.type == "attach" then
        assert.is_nil(phase[t])
        phase[t], hits[t] = "on", 0
      elseif ev.type == "hard-breakpoint" then
        assert.equals("on", phase[t])
        hits[t] = hits[t] + 1
        assert.is_true(s:thread_resume(t))
      else
        assert.equals("detach", ev.type)
        assert.equals("on", phase[t])
        phase[t] = "gone"
        detached = detached + 1
      end
    end
    for t, count in pairs(hits) do
      assert.equals(iterations, count, "thread " .. t)
    end
    assert.equals(n * expected(iterations), join(s))
    assert.equals(n * iterations, bp.stops)
  end)

  it("runs Lua conditions on attached threads while waiting", function()
    local s = helpers.session{timeout = WAIT}
    local n, iterations = 4, 50
    local calls = 0
    local bp = s:breakpoint("*thread_hit", {condition = function(frame)
      calls = calls + 1
      return frame.regs.rdi < 0 -- never
    end})
    start(s, n, iterations)
    local stops, detached = 0, 0
    while detached < n do
      local ev = assert(s:wait_event(WAIT))
      if ev.type == "hard-breakpoint" then
        -- the condition could not run (controller busy or Lua taken)
        stops = stops + 1
        s:thread_resume(ev.thread)
      elseif ev.type == "detach" then
        detached = detached + 1
      end
    end
    assert.equals(n * expected(iterations), join(s))
    assert.equals(n * iterations, bp.hits)
    assert.equals(n * iterations, calls + stops)
    assert.equals(stops, bp.stops)
    assert.is_true(calls > 0)
  end)
end)
