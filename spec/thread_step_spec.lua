-- thread_step_spec.lua - per-thread steps (libjit's jit_debugger_step,
-- next, finish) and the registers of a parked attached thread, over the
-- threads fixture (its line numbers): one thread is stepped through
-- thread_compute while another keeps hitting its own breakpoint.
local helpers = require "spec.helpers"
local snare = require "snare"

local STOP_AT_ATTACH = 1
local WAIT = 10000 -- ms; a deadlock fails the wait instead of hanging
local SQUARE_BODY, B_LINE, CALL_LINE, D_LINE, RETURN_LINE =
  135, 141, 142, 143, 144
local HITTER_ITERATIONS, COMPUTER_ITERATIONS = 100000, 3

local function compute(a)
  return (a + 1) * (a + 1) - a
end

local function hitter_sum()
  local n = HITTER_ITERATIONS
  return 3 * n * (n - 1) // 2 + n
end

describe("per-thread stepping", function()
  local lib

  setup(function()
    lib = helpers.load("threads")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    lib:close()
  end)

  -- A session with a hitter (thread_hit in a loop, stopping at its own
  -- breakpoint) and a computer (thread_compute in a loop, stopping at
  -- its first line), both parked at attach; hitter events are checked
  -- to come in order (i = 0, 1, 2...) by `pending`.
  local function two_threads()
    local s = helpers.session{timeout = WAIT}
    local t = {s = s, next_i = 0}
    assert.equals(1, s:call("start_workers", 1, s:handle(), HITTER_ITERATIONS,
                            STOP_AT_ATTACH).return_value)
    assert.equals(1, s:call("start_computer", s:handle(), COMPUTER_ITERATIONS,
                            STOP_AT_ATTACH).return_value)
    for _ = 1, 2 do
      assert.equals("attach", assert(s:wait_event(WAIT)).type)
    end
    t.hitter = s:call("worker_id", 0).return_value
    t.computer = s:call("worker_id", 1).return_value
    t.hit_bp = s:breakpoint("*thread_hit", {thread = t.hitter})
    s:breakpoint("thread_compute", {thread = t.computer})

    function t.hitter_event(ev)
      assert.equals(t.hitter, ev.thread)
      assert.equals("hard-breakpoint", ev.type)
      assert.equals(t.hit_bp, ev.breakpoint)
      assert.equals(t.next_i, ev.regs.rdi)
      t.next_i = t.next_i + 1
    end

    -- The computer's next event, checking the hitter's before it.
    function t.computer_event()
      while true do
        local ev = assert(s:wait_event(WAIT))
        if ev.thread == t.computer then
          return ev
        end
        t.hitter_event(ev)
      end
    end

    -- Lets both run to their end; returns join_workers().
    function t.finish()
      for _, bp in ipairs(s:breakpoints()) do
        bp:clear()
      end
      s:thread_resume(t.computer)
      s:thread_resume(t.hitter)
      local detached = 0
      while detached < 2 do
        local ev = assert(s:wait_event(WAIT))
        if ev.type == "detach" then
          detached = detached + 1
        else
          t.hitter_event(ev)
        end
      end
      return s:call("join_workers").return_value
    end
    return t
  end

  it("steps, nexts and finishes one thread while another hits", function()
    local t = two_threads()
    local s = t.s
    local resumes, policy_calls = 0, 0
    local policy = {stop = function(id)
      assert.equals(t.computer, id)
      policy_calls = policy_calls + 1
      return true
    end}
    assert.is_true(s:thread_resume(t.hitter))
    assert.is_true(s:thread_resume(t.computer))
    local ev = t.computer_event()
    assert.equals("hard-breakpoint", ev.type)
    assert.equals(B_LINE, snare.line_at(ev.pc).line)
    local lines = {}
    local function record(stop)
      -- let the hitter hit again while the computer is stepped next
      if not s:thread_running(t.hitter) and s:thread_resume(t.hitter) then
        resumes = resumes + 1
      end
      assert.equals("step", stop.kind)
      assert.equals(t.computer, stop.thread)
      lines[#lines + 1] = stop.line
      return stop
    end
    record(s:thread_step_line(t.computer, policy))
    record(s:thread_step_line(t.computer, policy))
    local out = record(s:thread_finish(t.computer))
    assert.equals(1, out.value) -- thread_square(1)
    record(s:thread_next(t.computer, policy))
    record(s:thread_next(t.computer, policy))
    out = s:thread_finish(t.computer)
    assert.equals(compute(0), out.value)
    assert.same({CALL_LINE, SQUARE_BODY, CALL_LINE, D_LINE, RETURN_LINE},
                lines)
    assert.equals(4, policy_calls) -- one per new line of the line steps
    -- (how often the hitter was parked between steps depends on timing;
    -- spec/c/thread_step_test.c interleaves it deterministically)
    while t.next_i < resumes + 1 do
      t.hitter_event(assert(s:wait_event(WAIT)))
    end
    assert.equals(hitter_sum() + compute(0) + compute(1) + compute(2),
                  t.finish())
  end)

  it("reads and writes the registers of a parked thread", function()
    local t = two_threads()
    local s = t.s
    s:thread_resume(t.computer)
    t.computer_event()
    s:thread_resume(t.computer)
    local ev = t.computer_event() -- thread_compute(1)
    assert.equals(ev.pc, ev.regs.rip)
    assert.equals(ev.pc, s:thread_reg(t.computer, "pc"))
    -- the argument of thread_square is live in rdi at its entry only
    s:breakpoint("*thread_square", {thread = t.computer})
    assert.equals(CALL_LINE, s:thread_step_line(t.computer).line)
    local stop = s:thread_next(t.computer)
    assert.equals("breakpoint", stop.kind) -- a user breakpoint ends a step
    assert.equals(2, stop.regs.rdi) -- b = a + 1
    assert.equals(2, s:thread_reg(t.computer, "rdi"))
    s:thread_set_reg(t.computer, "rdi", 10)
    assert.equals(10, s:thread_reg(t.computer, "rdi"))
    assert.equals(100, s:thread_finish(t.computer).value)
    -- thread_compute(1) now returns 100 - 1
    assert.equals(hitter_sum() + compute(0) + 99 + compute(2), t.finish())
  end)

  it("maps native handles and clears every breakpoint", function()
    local t = two_threads()
    local s = t.s
    assert.equals(0, s:thread_self()) -- the controller never attached
    local native = assert(s:thread_native(t.computer))
    assert.equals(t.computer, s:thread_from_native(native))
    assert.is_nil(s:thread_native(99999))
    assert.is_nil(s:thread_from_native(0))
    assert.equals(2, #s:breakpoints())
    s:clear_breakpoints()
    assert.equals(0, #s:breakpoints())
    assert.is_true(t.hit_bp.cleared)
    assert.equals(hitter_sum() + compute(0) + compute(1) + compute(2),
                  t.finish())
  end)

  it("refuses threads that are not parked at a stop", function()
    local t = two_threads()
    local s = t.s
    -- parked by attach: no frame
    assert.error_matches(function() s:thread_next(t.computer) end,
                         "cannot step thread %d+: session is not in a state")
    assert.error_matches(function() s:thread_reg(t.computer, "rax") end,
                         "cannot read register of thread")
    assert.error_matches(function() s:thread_finish(99999) end, "not found")
    assert.error_matches(function() s:thread_reg(t.computer, "bogus") end,
                         "unknown register")
    assert.equals(hitter_sum() + compute(0) + compute(1) + compute(2),
                  t.finish())
  end)
end)
