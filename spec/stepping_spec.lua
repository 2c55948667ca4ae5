-- stepping_spec.lua - line steps, finish, advance/until and step policies
-- over spec/fixtures/stepping.c at -O0 and -O2 (line numbers of that file;
-- spec/stepping_oracle/run.sh checks the same sequences against gdb).
local helpers = require "spec.helpers"

-- stepping_main(4) returns middle(4) + fact(4) + loop_sum(4) + 6.
local RESULT = 28 + 24 + 16 + 6

-- The func:line of each stop, starting with `stop`, after `count` calls
-- of method (or until the call exits).
local function walk(s, stop, method, count, policy)
  local seen = {}
  local function where(st)
    if st.kind == "exit" then return "exit" end
    return string.format("%s:%s", st.func, st.line)
  end
  seen[1] = where(stop)
  for _ = 1, count do
    if stop.kind == "exit" then break end
    stop = s[method](s, policy)
    seen[#seen + 1] = where(stop)
  end
  return seen, stop
end

-- Known sequences, as gdb steps them (see the oracle).
local NEXT_MAIN = {
  O0 = { "stepping_main:65", "stepping_main:66", "stepping_main:67",
         "stepping_main:68", "stepping_main:69", "stepping_main:70",
         "stepping_main:71", "exit" },
  O2 = { "stepping_main:65", "stepping_main:66", "stepping_main:67",
         "stepping_main:68", "stepping_main:69", "stepping_main:70", "exit" },
}
local STEP_MIDDLE = {
  O0 = { "middle:24", "leaf:17", "leaf:18", "leaf:19", "leaf:20", "middle:25",
         "leaf:17", "leaf:18", "leaf:19", "leaf:20", "middle:26", "middle:27",
         "stepping_main:66" },
  O2 = { "middle:24", "leaf:17", "leaf:18", "leaf:19", "middle:25", "leaf:17",
         "leaf:18", "leaf:19", "middle:26", "stepping_main:66" },
}
local NEXT_LOOP = {
  O0 = { "loop_sum:40", "loop_sum:41", "loop_sum:42", "loop_sum:41",
         "loop_sum:42", "loop_sum:41", "loop_sum:42", "loop_sum:41",
         "loop_sum:42", "loop_sum:41", "loop_sum:43", "loop_sum:44",
         "stepping_main:68" },
  O2 = { "loop_sum:41", "loop_sum:42", "loop_sum:41", "loop_sum:42",
         "loop_sum:41", "loop_sum:42", "loop_sum:41", "loop_sum:42",
         "loop_sum:41", "stepping_main:68" },
}

for _, level in ipairs { "O0", "O2" } do
  describe("line stepping at -" .. level, function()
    local lib

    setup(function() lib = helpers.load("stepping", level) end)
    after_each(helpers.close_sessions)
    teardown(function() lib:close() end)

    -- A session stopped at `break where` inside stepping_main(4); the
    -- breakpoint is cleared unless keep.
    local function stopped_at(where, keep)
      local s = helpers.session { timeout = 5000 }
      local bp = s:breakpoint(where)
      local stop = s:call("stepping_main", 4)
      assert.equals("breakpoint", stop.kind)
      if not keep then bp:clear() end
      return s, stop
    end

    it("next steps over every call, line by line, to the exit", function()
      local s, stop = stopped_at("stepping_main")
      local seen, last = walk(s, stop, "next", 20)
      assert.same(NEXT_MAIN[level], seen)
      assert.equals(RESULT, last.value)
    end)

    it("step enters calls with line information and returns to the caller",
       function()
      local s, stop = stopped_at("middle")
      assert.same(STEP_MIDDLE[level], walk(s, stop, "step_line",
                                           #STEP_MIDDLE[level] - 1))
    end)

    it("step from a breakpoint reached through a jump walks the same lines",
       function()
      -- a condition puts a jump at the site: the step starts in the
      -- trampoline's copy of the instructions the jump covers
      local s = helpers.session { timeout = 5000 }
      local bp = s:breakpoint("middle", { condition = function() return true end })
      local stop = s:call("stepping_main", 4)
      assert.equals("breakpoint", stop.kind)
      print("FIGURE step_from_jump_mechanism_" .. level .. " " .. bp.mechanism)
      assert.same(STEP_MIDDLE[level], walk(s, stop, "step_line",
                                           #STEP_MIDDLE[level] - 1))
    end)

    it("next goes round a loop, stopping at each new line", function()
      local s, stop = stopped_at("loop_sum")
      assert.same(NEXT_LOOP[level], walk(s, stop, "next", #NEXT_LOOP[level] - 1))
    end)

    it("step stops end as steps, with the reason gdb prints", function()
      local s = stopped_at("middle")
      local stop = s:next()
      assert.equals("step", stop.kind)
      assert.equals("end of stepping range", stop.reason)
      assert.equals(25, stop.line)
    end)

    it("steps over a call into code without line information (strlen)",
       function()
      local s = stopped_at("measure")
      local stop = s:step_line()
      assert.same({ "measure", 49 }, { stop.func, stop.line })
      assert.equals(5, s:frame(0):var("n"))
    end)

    it("next over a recursive call does not stop in the deeper calls",
       function()
      local s = stopped_at("fact")      -- fact(4)
      local stop = s:next()             -- line 33: the recursive call
      assert.equals(33, stop.line)
      stop = s:next()
      assert.same({ "fact", 34 }, { stop.func, stop.line })
      assert.equals(4, s:frame(0):var("n"))
      assert.equals(6, s:frame(0):var("r"))
    end)

    it("a breakpoint in a stepped-over callee ends the step there", function()
      local s = stopped_at("fact", true)
      s:next()
      local stop = s:next()
      assert.equals("breakpoint", stop.kind)
      assert.equals("fact", stop.func)
      assert.equals(3, s:frame(0):var("n"))
    end)

    it("finish returns to the caller with the return value", function()
      local s = stopped_at("leaf")      -- leaf(4) from middle
      local stop = s:finish()
      assert.equals("step", stop.kind)
      assert.equals("middle", stop.func)
      assert.equals(9, stop.return_value)
      assert.equals(9, stop.value)
      stop = s:finish()                 -- middle(4) = 9 + 19
      assert.equals("stepping_main", stop.func)
      assert.equals(28, stop.value)
      stop = s:finish()                 -- out of the entry: its exit
      assert.equals("exit", stop.kind)
      assert.equals(RESULT, stop.value)
    end)

    it("finish takes a double's return value from xmm0", function()
      local s = stopped_at("half")      -- half((double)4) from stepping_main
      local stop = s:finish()
      assert.equals("stepping_main", stop.func)
      assert.equals(2.0, stop.return_value)
      assert.equals("float", math.type(stop.value))
    end)

    it("finish out of a recursive call stops in its own caller", function()
      local s = stopped_at("fact", true)
      s:continue()                      -- fact(3)
      local bp = s:breakpoints()[1]
      bp:clear()
      local stop = s:finish()
      assert.equals(6, stop.value)
      assert.equals("fact", stop.func)
      assert.equals(4, s:frame(0):var("n"))
    end)

    it("advance runs to a location, or to the return of the frame", function()
      local s = stopped_at("stepping_main")
      local stop = s:advance("leaf")
      assert.same({ "step", "leaf", 4 },
                  { stop.kind, stop.func, s:frame(0):var("x") })
      stop = s:advance("stepping.c:64") -- not reached: leaf returns first
      assert.equals("middle", stop.func)
    end)

    it("until_line runs to a line of this frame", function()
      local s = stopped_at("loop_sum")
      local stop = s:until_line(42)
      assert.same({ "loop_sum", 42 }, { stop.func, stop.line })
      assert.equals(0, s:frame(0):var("i"))
    end)

    it("an into policy that says no steps over the call", function()
      local s = stopped_at("middle")
      local asked = {}
      local stop = s:step_line { into = function(fn)
        asked[#asked + 1] = fn
        return false
      end }
      assert.same({ "middle", 25 }, { stop.func, stop.line })
      assert.equals(1, #asked)
      assert.equals("leaf", asked[1].name)
      assert.matches("stepping%.c$", asked[1].file)
      assert.equals(17, asked[1].line)
      assert.equals(lib:symbol("leaf"), asked[1].address)
    end)

    it("a stop policy decides at each new line, with the frame", function()
      local s = stopped_at("loop_sum")
      local stop = s:step_line { stop = function(frame)
        return frame.func == "leaf" and frame:var("x") == 2
      end }
      assert.same({ "leaf", 17 }, { stop.func, stop.line })
      assert.equals(2, s:frame(0):var("x"))
      assert.equals("loop_sum", s:frame(1).func)
    end)

    it("an error in a policy raises and leaves the session usable", function()
      local s = stopped_at("middle")
      assert.has_error(function()
        s:next { stop = function() error("policy broke") end }
      end)
      local ok, err = pcall(s.step_line, s,
                            { into = function() error("no entry") end })
      assert.is_false(ok)
      assert.matches("step policy failed: .*no entry", err)
      assert.is_true(s.stopped)
      local stop = s:next()
      assert.equals("step", stop.kind)
      assert.equals(RESULT, s:continue().value)
    end)

    it("a policy cannot resume its own session", function()
      local s = stopped_at("middle")
      local ok, err = pcall(s.next, s, { stop = function() s:continue() end })
      assert.is_false(ok)
      assert.matches("cannot resume a session from inside a callback", err)
      assert.equals(RESULT, s:continue().value)
    end)
  end)
end

describe("stepping errors", function()
  local lib

  setup(function() lib = helpers.load("stepping", "O0") end)
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  it("refuses a step of an idle session", function()
    local s = helpers.session()
    assert.has_error(function() s:next() end,
      "snare.session: cannot step: session is not in a state that allows this")
    assert.has_error(function() s:finish() end)
    assert.has_error(function() s:advance("leaf") end)
  end)

  it("rejects a policy that is not a table of functions", function()
    local s = helpers.session()
    assert.has_error(function() s:next(3) end)
    assert.has_error(function() s:next { into = 3 } end)
  end)

  it("refuses an unknown location for advance", function()
    local s = helpers.session { timeout = 5000 }
    s:breakpoint("middle")
    s:call("stepping_main", 4)
    assert.has_error(function() s:advance("no_such_function") end)
    -- (a line without code is the next one with code, as gdb's; none
    -- past the last)
    assert.has_error(function() s:until_line("stepping.c:99999") end)
    assert.is_true(s.stopped)
  end)

  it("internal breakpoints stay out of the breakpoint list", function()
    local s = helpers.session { timeout = 5000 }
    local bp = s:breakpoint("middle")
    s:call("stepping_main", 4)
    s:next()
    s:finish()
    assert.same({ bp }, s:breakpoints())
    local again = s:breakpoint("leaf")
    assert.equals(bp.id + 1, again.id)
  end)
end)
