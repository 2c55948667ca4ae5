-- breakpoint_spec.lua - breakpoints: stops, conditions run on the worker,
-- skip/max, enable/disable/clear, errors.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("breakpoints", function()
  local loops, strings

  setup(function()
    loops = helpers.load("loops")
    strings = helpers.load("strings")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    loops:close()
    strings:close()
  end)

  it("stops, shows registers, continues to the exit", function()
    local s = helpers.session()
    local bp = s:breakpoint("*count_to") -- "*": the entry, not past the prologue
    assert.equals(loops:symbol("count_to"), bp.address)
    local stop = s:call("count_to", 4)
    assert.equals("breakpoint", stop.kind)
    assert.equals("breakpoint hit", stop.reason)
    assert.equals(bp, stop.breakpoint)
    assert.equals(bp.id, stop.breakpoint_id)
    assert.equals(bp.address, stop.pc)
    assert.equals(s.thread, stop.thread)
    assert.equals(4, stop.regs.rdi)
    assert.equals(string.format("breakpoint %d at 0x%x <count_to> at loops.c:7",
      bp.id, bp.address), tostring(stop))
    local exit = s:continue()
    assert.equals("exit", exit.kind)
    assert.equals(10, exit.value)
    assert.equals(1, bp.hits)
    assert.equals(1, bp.stops)
    assert.equals(0, bp.rejected)
    assert.matches("^breakpoint %d+ at 0x%x+ <count_to> %(hits 1, stops 1%)$",
      tostring(bp))
  end)

  it("give conditions a frame whose methods are a table lookup away", function()
    local s = helpers.session()
    local seen = {}
    local bp = s:breakpoint("count_to", { condition = function(frame)
      seen[#seen + 1] = {
        index = type(getmetatable(frame).__index),
        name = getmetatable(frame).__name,
        pc = frame.pc, thread = frame.thread, bp = frame.breakpoint,
        valid = frame.valid, unknown = frame.no_such_property,
        has_var = type(frame.var), has_eval = type(frame.eval),
        text = tostring(frame),
      }
      seen.frame = frame
      return false
    end })
    assert.equals("exit", s:call("count_to", 3).kind)
    assert.equals("exit", s:call("count_to", 4).kind)
    assert.equals(2, #seen)
    for _, hit in ipairs(seen) do
      assert.same({ index = "table", name = "snare.frame", pc = bp.address,
        thread = s.thread, bp = bp.id, valid = true, has_var = "function",
        has_eval = "function",
        text = string.format("snare.frame (breakpoint %d, thread %d)", bp.id,
          s.thread) }, hit)
    end
    local stale = seen.frame
    assert.is_false(stale.valid)
    assert.equals("snare.frame (no longer valid)", tostring(stale))
    assert.has_error(function() return stale.pc end,
      "snare.frame: frame is no longer valid")
    assert.has_error(function() return stale:var("n") end,
      "snare.frame: frame is no longer valid")
    local other = setmetatable({}, getmetatable(stale))
    assert.matches("snare.frame expected", select(2, pcall(stale.var, other,
      "n")))
  end)

  it("stops on every recursive call until disabled", function()
    local s = helpers.session()
    local bp = s:breakpoint("fib")
    local args = {}
    local stop = s:call("fib", 3)
    while stop.kind == "breakpoint" do
      args[#args + 1] = stop.regs.rdi
      stop = s:continue()
    end
    assert.same({ 3, 2, 1, 0, 1 }, args)
    assert.equals(2, stop.value)
    assert.equals(5, bp.stops)
  end)

  describe("conditions", function()
    it("stop exactly once in 100000 hits", function()
      local s = helpers.session()
      local calls, seen_arg, seen_thread = 0, nil, nil
      local bp = s:breakpoint("fib", {
        condition = function(frame)
          calls = calls + 1
          if calls == 100000 then
            seen_arg, seen_thread = frame.regs.rdi, frame.thread
            return true
          end
          return false
        end,
      })
      local stop = s:call("fib", 25) -- 242785 calls in all
      assert.equals("breakpoint", stop.kind)
      assert.equals(100000, calls)
      assert.equals(seen_arg, stop.regs.rdi)
      assert.equals(s.thread, seen_thread)
      assert.equals(100000, bp.hits)
      assert.equals(99999, bp.rejected)
      assert.equals(1, bp.stops)
      bp:disable()
      assert.equals(75025, s:continue().value)
      assert.equals(100000, bp.hits)
    end)

    it("see the argument that holds the counter", function()
      local s = helpers.session()
      local bp = s:breakpoint("fib", {
        condition = function(frame) return frame:reg("rdi") == 1 end,
      })
      local stop = s:call("fib", 6)
      assert.equals(1, stop.regs.rdi)
      -- fib(6) -> fib(5) -> fib(4) -> fib(3) -> fib(2) -> fib(1): six hits
      assert.equals(6, bp.hits)
      assert.equals(5, bp.rejected)
    end)

    it("get a frame that can write registers and read memory", function()
      local s = helpers.session()
      local text
      s:breakpoint("my_strlen", {
        condition = function(frame)
          text = frame:read_cstring(frame.regs.rdi)
          assert(frame.pc == frame.regs.rip)
          frame.regs.rsi = 0 -- harmless: my_strlen takes one argument
          return false
        end,
      })
      assert.equals(5, s:call("my_strlen", "hello").value)
      assert.equals("hello", text)

      s:breakpoint("*count_to", { -- at the entry, while n is still in rdi
        condition = function(frame)
          frame.regs.rdi = 10
          return false
        end,
      })
      assert.equals(55, s:call("count_to", 3).value)
    end)

    it("invalidate the frame when they return", function()
      local s = helpers.session()
      local kept
      s:breakpoint("fib", { condition = function(frame) kept = frame end })
      assert.equals(1, s:call("fib", 1).value)
      assert.is_false(kept.valid)
      assert.has_error(function() return kept.pc end,
        "snare.frame: frame is no longer valid")
      assert.has_error(function() kept:reg("rdi") end,
        "snare.frame: frame is no longer valid")
    end)

    it("get one frame object per breakpoint, valid only during each hit",
      function()
        local s = helpers.session()
        local frames, valid = {}, true
        s:breakpoint("fib", {
          condition = function(frame)
            valid = valid and frame.valid
            frames[#frames + 1] = frame
            return false
          end,
        })
        assert.equals(2, s:call("fib", 3).value)
        assert.is_true(valid)
        assert.is_true(#frames > 1)
        for _, f in ipairs(frames) do assert.equals(frames[1], f) end
        assert.is_false(frames[1].valid)
        assert.has_error(function() return frames[1].pc end,
          "snare.frame: frame is no longer valid")
      end)

    it("report an error with its traceback, and the session survives",
      function()
        local s = helpers.session()
        local failed = false
        local bp = s:breakpoint("fib", {
          condition = function(frame)
            if frame.regs.rdi == 2 and not failed then
              failed = true
              error("condition exploded")
            end
            return frame.regs.rdi == 0
          end,
        })
        local stop = s:call("fib", 4)
        assert.equals("breakpoint", stop.kind)
        assert.equals("breakpoint condition failed", stop.reason)
        assert.equals(2, stop.regs.rdi)
        assert.matches("condition exploded", stop.error)
        assert.matches("stack traceback", stop.error)
        assert.matches("breakpoint_spec.lua", stop.error)
        assert.matches("breakpoint condition failed", tostring(stop))
        -- the next stop is an ordinary one again
        local again = s:continue()
        assert.equals("breakpoint", again.kind)
        assert.equals("breakpoint hit", again.reason)
        assert.equals(0, again.regs.rdi)
        assert.is_nil(again.error)
        bp:clear()
        assert.equals("exit", s:continue().kind)
        assert.equals(55, s:call("fib", 10).value)
      end)

    it("cannot call, resume or close their own session", function()
      local s = helpers.session()
      local errors = {}
      local function try(f)
        local ok, err = pcall(f)
        errors[#errors + 1] = not ok and err or "no error"
      end
      s:breakpoint("count_to", {
        condition = function()
          try(function() s:call("fib", 1) end)
          try(function() s:continue() end)
          try(function() s:close() end)
          try(function() s:breakpoint("fib") end)
          return false
        end,
      })
      assert.equals(3, s:call("count_to", 2).value)
      assert.matches("cannot call a session from inside a callback", errors[1])
      assert.matches("cannot resume a session from inside a callback", errors[2])
      assert.matches("cannot close a session from inside a callback", errors[3])
      assert.matches("cannot set a breakpoint from inside a callback", errors[4])
      assert.is_false(s.closed)
    end)
  end)

  it("defer finalizers that the GC runs inside a condition", function()
    local s = helpers.session()
    for _ = 1, 3 do
      local garbage = snare.session()
      garbage:breakpoint("fib")
    end
    helpers.load("strings", "O2") -- garbage at once
    s:breakpoint("count_to", {
      condition = function()
        collectgarbage("collect") -- finalizes the garbage on the worker
        return false
      end,
    })
    assert.equals(6, s:call("count_to", 3).value)
    assert.equals(55, s:call("fib", 10).value) -- the deferred frees ran
  end)

  it("shared by one address are all evaluated at every hit", function()
    -- as gdb: each counts its own hits and stops and runs its own
    -- condition, whichever of them stops first
    local s = helpers.session()
    local calls = { 0, 0, 0 }
    local function condition(k, want)
      return function(frame)
        calls[k] = calls[k] + 1
        return frame.regs.rdi == want
      end
    end
    local a = s:breakpoint("*fib", { condition = condition(1, 2) })
    local b = s:breakpoint("*fib", { condition = condition(2, 2) })
    local c = s:breakpoint("*fib", { condition = condition(3, 1) })
    local stops = {}
    local stop = s:call("fib", 3)
    while stop.kind == "breakpoint" do
      local ids = {}
      for i, bp in ipairs(stop.breakpoints) do
        ids[i] = bp.id
      end
      stops[#stops + 1] = { stop.regs.rdi, stop.breakpoint.id, ids,
                            stop.breakpoint_ids }
      stop = s:continue()
    end
    assert.equals(2, stop.value)
    assert.same({
      { 2, a.id, { a.id, b.id }, { a.id, b.id } },
      { 1, c.id, { c.id }, { c.id } },
      { 1, c.id, { c.id }, { c.id } },
    }, stops)
    assert.same({ 5, 5, 5 }, calls)
    assert.same({ 5, 1, 4 }, { a.hits, a.stops, a.rejected })
    assert.same({ 5, 1, 4 }, { b.hits, b.stops, b.rejected })
    assert.same({ 5, 2, 3 }, { c.hits, c.stops, c.rejected })
  end)

  it("skips the first hits", function()
    local s = helpers.session()
    local bp = s:breakpoint("fib", { skip = 2 })
    local stop = s:call("fib", 3) -- hits: fib(3), fib(2), fib(1), ...
    assert.equals(1, stop.regs.rdi)
    assert.equals(2, bp.skip)
    assert.equals(2, bp.rejected)
  end)

  it("clears itself after max stops", function()
    local s = helpers.session()
    local bp = s:breakpoint("fib", { max = 2 })
    assert.equals(2, bp.max)
    local first = s:call("fib", 3)
    assert.equals(3, first.regs.rdi)
    local second = s:continue()
    assert.equals("breakpoint", second.kind)
    assert.equals(bp, second.breakpoint)
    assert.equals(2, second.regs.rdi)
    assert.equals("exit", s:continue().kind)
    assert.is_true(bp.cleared)
    assert.same({}, s:breakpoints())
  end)

  it("is temporary with temporary = true", function()
    local s = helpers.session()
    local bp = s:breakpoint("fib", { temporary = true })
    assert.equals("breakpoint", s:call("fib", 3).kind)
    assert.equals(2, s:continue().value)
    assert.is_true(bp.cleared)
  end)

  it("can be disabled and enabled", function()
    local s = helpers.session()
    local bp = s:breakpoint("count_to")
    assert.is_true(bp.enabled)
    assert.equals(bp, bp:disable())
    assert.is_false(bp.enabled)
    assert.equals(6, s:call("count_to", 3).value)
    assert.equals(0, bp.hits)
    bp:enable()
    assert.equals("breakpoint", s:call("count_to", 3).kind)
    assert.equals(1, bp.hits)
  end)

  it("is cleared idempotently and then refuses use", function()
    local s = helpers.session()
    local a = s:breakpoint("*count_to")
    local b = s:breakpoint("fib")
    assert.same({ a, b }, s:breakpoints())
    a:clear()
    a:clear()
    assert.is_true(a.cleared)
    assert.same({ b }, s:breakpoints())
    assert.has_error(function() a:enable() end, "snare.breakpoint: breakpoint cleared")
    assert.has_error(function() return a.hits end)
    assert.equals(a.address, loops:symbol("count_to"))
    assert.matches("%(cleared%)", tostring(a))
    assert.equals(6, s:call("count_to", 3).value)
  end)

  it("is cleared by closing its session", function()
    local s = snare.session()
    local bp = s:breakpoint("fib")
    s:close()
    assert.is_true(bp.cleared)
    assert.has_error(function() bp:disable() end)
    bp:clear()
  end)

  it("is cleared by closing its library", function()
    local lib = helpers.load("strings", "O2")
    local s = helpers.session()
    local bp = s:breakpoint(lib:symbol("my_strlen"))
    lib:close()
    assert.is_true(bp.cleared)
    assert.same({}, s:breakpoints())
  end)

  it("refuses unknown symbols and non-code addresses with clear errors",
    function()
      local s = helpers.session()
      assert.has_error(function() s:breakpoint("no_such_function") end,
        "unknown symbol 'no_such_function'")
      local ok, err = pcall(s.breakpoint, s, 0)
      assert.is_false(ok)
      assert.matches("cannot set breakpoint at 0x0: ", err)
      assert.has_error(function() s:breakpoint("fib", { skip = -1 }) end)
      assert.has_error(function() s:breakpoint("fib", { condition = 1 }) end)
      assert.has_error(function() s:breakpoint({}) end)
      assert.same({}, s:breakpoints())
      assert.equals(55, s:call("fib", 10).value)
    end)
end)
