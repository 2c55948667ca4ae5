-- session_spec.lua - sessions: lifecycle, calls, faults, stepping,
-- registers, timeouts.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("snare.session", function()
  local loops, faults, strings

  setup(function()
    loops = helpers.load("loops")
    faults = helpers.load("faults")
    strings = helpers.load("strings")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    loops:close()
    faults:close()
    strings:close()
  end)

  describe("lifecycle", function()
    it("has a worker thread id and closes idempotently", function()
      local s = snare.session()
      assert.is_true(s.thread >= 1)
      assert.is_false(s.closed)
      assert.is_false(s.stopped)
      s:close()
      assert.is_true(s.closed)
      s:close()
      assert.matches("closed", tostring(s))
    end)

    it("raises on use after close", function()
      local s = snare.session()
      s:close()
      assert.has_error(function() s:call("fib", 1) end, "snare.session: closed")
      assert.has_error(function() return s.thread end, "snare.session: closed")
      assert.has_error(function() s:reg("rax") end, "snare.session: closed")
    end)

    it("closes at the end of a <close> scope", function()
      local kept
      do
        local s <close> = snare.session()
        kept = s
        assert.equals(55, s:call("fib", 10).value)
      end
      assert.is_true(kept.closed)
    end)

    it("takes a timeout option and lets it be changed", function()
      local s = helpers.session { timeout = 1500 }
      assert.equals(1500, s.timeout)
      s.timeout = 0
      assert.equals(0, s.timeout)
      assert.has_error(function() s.thread = 3 end)
      assert.has_error(function() s.timeout = -1 end)
    end)

    it("runs sessions side by side", function()
      local a, b = helpers.session(), helpers.session()
      assert.not_equals(a.thread, b.thread)
      a:breakpoint("fib")
      assert.equals("breakpoint", a:call("fib", 5).kind)
      assert.equals(8, b:call("fib", 6).value)
    end)

    it("closes while stopped at a breakpoint", function()
      local s = snare.session()
      s:breakpoint("count_to")
      local stop = s:call("count_to", 3)
      assert.equals("breakpoint", stop.kind)
      assert.is_true(s.stopped)
      s:close()
      assert.is_true(s.closed)
      -- the stop now only has its snapshot, and refuses writes
      assert.equals(3, stop.regs.rdi)
      assert.has_error(function() stop.regs.rdi = 1 end)
    end)
  end)

  describe("call", function()
    it("passes 0 to 8 arguments in the right places", function()
      local s = helpers.session()
      local stop = s:call("do_int3") -- no arguments; traps, then returns 7
      assert.equals("signal", stop.kind)
      assert.equals(7, s:continue().value)
      assert.equals(55, s:call("count_to", 10).value)
      assert.equals(6, s:call("sum_array", string.pack("<i4i4i4", 1, 2, 3), 3)
        .value)
      assert.equals(63, s:call("add6", 1, 2, 4, 8, 16, 32).return_value)
      assert.equals(255, s:call("add8", 1, 2, 4, 8, 16, 32, 64, 128)
        .return_value)
    end)

    it("puts arguments 7 and 8 on the stack", function()
      local s = helpers.session()
      s:breakpoint("*add8") -- the entry: the stack as the caller left it
      local stop = s:call("add8", 1, 2, 3, 4, 5, 6, 70, 80)
      local r = stop.regs
      assert.same({ 1, 2, 3, 4, 5, 6 }, { r.rdi, r.rsi, r.rdx, r.rcx, r.r8, r.r9 })
      assert.equals(70, s:read_u64(r.rsp + 8))
      assert.equals(80, s:read_u64(r.rsp + 16))
    end)

    it("converts booleans, nil and integral floats", function()
      local s = helpers.session()
      assert.equals(1, s:call("count_to", true).value)
      assert.equals(0, s:call("count_to", false).value)
      assert.equals(0, s:call("count_to", nil).value)
      assert.equals(55, s:call("count_to", 10.0).value)
    end)

    it("passes 64-bit values and negative results", function()
      local s = helpers.session()
      local stop = s:call("add6", -1, 0, 0, 0, 0, 0)
      assert.equals(-1, stop.return_value)
      assert.equals(-1, stop.value)
      assert.equals(math.maxinteger,
        s:call("add8", math.maxinteger, 0, 0, 0, 0, 0, 0, 0).return_value)
    end)

    it("passes strings as C strings", function()
      local s = helpers.session()
      assert.equals(5, s:call("my_strlen", "hello").value)
      assert.equals(0, s:call("my_strlen", "").value)
      assert.equals(3, s:call("my_strlen", "abc\0def").value)
      assert.equals(7, s:call_main("main_like", { "prog", "hello" }).value)
    end)

    it("calls by address", function()
      local s = helpers.session()
      assert.equals(8, s:call(loops:symbol("fib"), 6).value)
    end)

    it("rejects bad arguments and stays usable", function()
      local s = helpers.session()
      assert.has_error(function() s:call("count_to", 1.5) end)
      assert.has_error(function() s:call("count_to", {}) end)
      assert.has_error(function() s:call("add8", 1, 2, 3, 4, 5, 6, 7, 8, 9) end)
      assert.has_error(function() s:call("no_such_function") end,
        "unknown symbol 'no_such_function'")
      assert.has_error(function() s:call(true) end)
      assert.has_error(function() s:call_main("main_like", { 1 }) end)
      assert.has_error(function() s:resume { mode = "sideways" } end)
      assert.equals(55, s:call("fib", 10).value)
    end)

    it("refuses a call while stopped, until aborted", function()
      local s = helpers.session()
      s:breakpoint("fib")
      assert.equals("breakpoint", s:call("fib", 3).kind)
      assert.has_error(function() s:call("fib", 3) end)
      local stop = s:abort()
      assert.equals("aborted", stop.kind)
      assert.equals("aborted", tostring(stop))
      assert.is_false(s.stopped)
      s:breakpoints()[1]:clear()
      assert.equals(2, s:call("fib", 3).value)
    end)

    it("formats an exit", function()
      local s = helpers.session()
      assert.equals("exit, returned 55", tostring(s:call("fib", 10)))
      assert.equals("exit, returned 4294967295 (int -1)",
        tostring(s:call("add6", 0xffffffff, 0, 0, 0, 0, 0)))
    end)
  end)

  describe("faults", function()
    local function check(s, fn, arg, signal, reason)
      local stop = s:call(fn, arg)
      assert.equals("signal", stop.kind)
      assert.equals(signal, stop.signal)
      assert.equals(snare.signals[signal], stop.signal_number)
      if reason then
        assert.equals(reason, stop.reason)
      end
      assert.matches("^signal " .. signal, tostring(stop))
      assert.equals("aborted", s:abort().kind)
      assert.equals(55, s:call("fib", 10).value)
      return stop
    end

    it("reports SIGSEGV with the fault address", function()
      local s = helpers.session()
      local stop = check(s, "do_segv", nil, "SIGSEGV", "segmentation fault")
      assert.equals(0, stop.fault_address)
      assert.equals("do_segv", snare.symbol_at(stop.pc).name)
      assert.matches("fault address 0x0", tostring(stop))
    end)

    it("reports SIGFPE", function()
      check(helpers.session(), "do_divzero", 0, "SIGFPE", "arithmetic exception")
    end)

    it("reports SIGILL and resumes past it at a new pc", function()
      local s = helpers.session()
      check(s, "do_ud2", nil, "SIGILL", "illegal instruction")
      local stop = s:call("do_ud2")
      assert.equals("SIGILL", stop.signal)
      local after = s:resume { pc = stop.pc + 2 } -- ud2 is two bytes
      assert.equals("exit", after.kind)
      assert.equals(3, after.value)
    end)

    it("reports SIGABRT", function()
      check(helpers.session(), "do_abort", nil, "SIGABRT")
    end)

    it("reports a stack overflow", function()
      check(helpers.session(), "do_overflow", 0, "SIGSEGV", "stack overflow")
    end)

    it("reports a program's int3 as SIGTRAP and continues past it", function()
      local s = helpers.session()
      local stop = s:call("do_int3")
      assert.equals("signal", stop.kind)
      assert.equals("SIGTRAP", stop.signal)
      assert.equals(7, s:continue().value)
      check(s, "do_int3", nil, "SIGTRAP")
    end)
  end)

  describe("stepping and registers", function()
    it("steps one instruction", function()
      local s = helpers.session()
      s:breakpoint("fib")
      local stop = s:call("fib", 4)
      local step = s:step()
      assert.equals("step", step.kind)
      assert.not_equals(stop.pc, step.pc)
      assert.equals(step.pc, s:reg("pc"))
      assert.matches("^step at 0x%x+ <fib%+%d+>", tostring(step))
    end)

    it("reads registers live while stopped and from the snapshot after", function()
      local s = helpers.session()
      s:breakpoint("count_to")
      local stop = s:call("count_to", 9)
      assert.equals(9, stop.regs.rdi)
      assert.equals(stop.pc, stop.regs.pc)
      assert.equals(stop.pc, s:reg("rip"))
      assert.equals(s:reg("rsp"), s:reg("sp"))
      local all = s:regs()
      for _, name in ipairs(snare.registers) do
        assert.is_number(all[name])
      end
      assert.equals(16, #s:xmm(0))
      assert.has_error(function() s:xmm(16) end)
      assert.has_error(function() s:reg("nope") end)
      assert.has_error(function() return stop.regs.nope end)
      assert.matches("^rax", snare.format_regs(all))
      s:breakpoints()[1]:disable()
      assert.equals(45, s:continue().value)
      assert.equals(9, stop.regs.rdi) -- the snapshot
      assert.has_error(function() stop.regs.rdi = 1 end)
      assert.has_error(function() s:reg("rax") end)
    end)

    it("makes register writes take effect", function()
      local s = helpers.session()
      local bp = s:breakpoint("*fib") -- the entry: n is still only in rdi
      local stop = s:call("fib", 3)
      stop.regs.rdi = 10
      bp:disable()
      assert.equals(55, s:continue().value)

      bp:enable()
      s:call("fib", 3)
      s:set_reg("rdi", 6)
      bp:disable()
      assert.equals(8, s:continue().value)
    end)

    it("resumes at a register-written rip", function()
      local s = helpers.session()
      local bp = s:breakpoint("*count_to") -- no frame built yet
      local stop = s:call("count_to", 6)
      stop.regs.rip = loops:symbol("fib")
      bp:clear()
      assert.equals(8, s:continue().value) -- fib(6), not count_to(6) = 21
    end)
  end)

  describe("timeouts and interrupts", function()
    it("interrupts a call that runs past the timeout", function()
      local s = helpers.session { timeout = 100 }
      local stop = s:call("spin", nil)
      assert.equals("interrupt", stop.kind)
      assert.matches("^interrupt at 0x%x+ <spin", tostring(stop))
      assert.equals("aborted", s:abort().kind)
      s.timeout = 0
      assert.equals(55, s:call("fib", 10).value)
    end)

    it("refuses an interrupt when nothing runs", function()
      local s = helpers.session()
      local ok, msg = s:interrupt()
      assert.is_nil(ok)
      assert.is_string(msg)
    end)
  end)
end)
