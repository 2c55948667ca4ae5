-- tracing_spec.lua - tallies, profiles, traces and Lua hooks.
local snare = require "snare"
local helpers = require "spec.helpers"

local function fib_calls(n)
  -- fib(n) makes 2 * fib(n + 1) - 1 calls of itself
  local a, b = 0, 1
  for _ = 1, n + 1 do
    a, b = b, a + b
  end
  return 2 * a - 1
end

describe("tracing", function()
  local s
  before_each(function() s = helpers.session() end)
  after_each(helpers.close_sessions)

  for _, level in ipairs { "O0", "O2" } do
    it("tallies exact call counts at -" .. level, function()
      local lib <close> = helpers.load("hooks", level)
      local t <close> = snare.tally { lib:symbol("leaf"), lib:symbol("calls_leaf") }
      assert.equal(500500, s:call(lib:symbol("calls_leaf"), 1000).value)
      local counts = {}
      for _, row in ipairs(t:report()) do
        counts[row.name] = row.calls
        assert.is_true(row.trampoline)
      end
      assert.equal(1000, counts.leaf)
      assert.equal(1, counts.calls_leaf)
      t:reset()
      assert.equal(0, t:report()[1].calls)
    end)
  end

  it("says why a function is hooked by a trap rather than a jump", function()
    local lib <close> = helpers.load("hooks", "O2")
    local bp = s:breakpoint("*leaf")
    bp:disable()
    local t <close> = snare.tally { lib:symbol("leaf"), lib:symbol("calls_leaf") }
    assert.equal(6, s:call(lib:symbol("calls_leaf"), 3).value)
    local rows = {}
    for _, row in ipairs(t:report()) do rows[row.name] = row end
    assert.equal(3, rows.leaf.calls)
    assert.is_false(rows.leaf.trampoline)
    assert.equal("breakpoint in patched bytes", rows.leaf.fallback)
    assert.is_true(rows.calls_leaf.trampoline)
    assert.is_nil(rows.calls_leaf.fallback)
  end)

  it("tallies a whole library, recursion included", function()
    local lib <close> = helpers.load("loops", "O0")
    local t <close> = snare.tally(lib)
    s:call("fib", 12)
    local report = t:report()
    assert.equal("fib", report[1].name)
    assert.equal(fib_calls(12), report[1].calls)
    assert.matches("fib%s+" .. fib_calls(12), tostring(t))
  end)

  it("profiles inclusive and self time, counting recursion once", function()
    local _lib <close> = helpers.load("hooks", "O0")
    local p <close> = snare.profile { "jump_through", "descend" }
    assert.equal(7, s:call("jump_through", 20).value)
    local rows = {}
    for _, row in ipairs(p:report()) do rows[row.name] = row end
    assert.equal(1, rows.jump_through.calls)
    assert.equal(21, rows.descend.calls)
    assert.is_true(rows.jump_through.inclusive_ns >= rows.descend.inclusive_ns)
    assert.is_true(rows.descend.self_ns <= rows.descend.inclusive_ns + 1)
    assert.matches("inclusive ms", tostring(p))
    p:close()
    assert.equal(1, p:report()[1].calls + p:report()[2].calls - 21)
  end)

  it("traces nested calls with durations", function()
    local _lib <close> = helpers.load("loops", "O0")
    local tr <close> = snare.trace { "fib" }
    s:call("fib", 2)
    local records = tr:report()
    assert.equal(3, #records)
    assert.same({ 0, 1, 1 }, { records[1].depth, records[2].depth, records[3].depth })
    for _, record in ipairs(records) do
      assert.equal("fib", record.name)
      assert.is_true(record.duration_ns >= 0)
    end
    assert.is_true(records[1].duration_ns >= records[2].duration_ns)
    assert.matches("us %[%d+%]   fib%(%)", tostring(tr))
  end)

  it("runs a Lua hook per call with arguments and return values", function()
    local _lib <close> = helpers.load("hooks", "O2")
    local seen = {}
    local h <close> = snare.hook("leaf", function(call)
      seen[#seen + 1] = call.exit and { "exit", call.return_value }
                                  or { "entry", call.args[1] }
    end, { exit = true })
    s:call("calls_leaf", 3)
    assert.same({ { "entry", 0 }, { "exit", 1 }, { "entry", 1 }, { "exit", 2 },
                  { "entry", 2 }, { "exit", 3 } }, seen)
    assert.equal(3, h:stats().calls)
    assert.equal(0, h:stats().errors)
  end)

  it("counts errors of a Lua hook without stopping the target", function()
    local _lib <close> = helpers.load("hooks", "O0")
    local h <close> = snare.hook("leaf", function() error("boom") end)
    assert.equal(15, s:call("calls_leaf", 5).value)
    assert.equal(5, h:stats().errors)
    assert.matches("boom", h:stats().last_error)
  end)

  it("skips Lua hooks on threads that are not the session's", function()
    local _lib <close> = helpers.load("hooks", "O0")
    local n = 0
    local h <close> = snare.hook("leaf", function() n = n + 1 end)
    s:call("calls_leaf", 4)
    assert.equal(4, n)
    assert.equal(0, h:stats().skipped)
  end)

  it("hooks the allocator while the Lua hook allocates", function()
    if (os.getenv("LD_PRELOAD") or ""):match("asan") then
      pending("under ASan the allocator is ASan's, not libc's")
      return
    end
    local libc <close> = assert(snare.load("libc.so.6"))
    local _lib <close> = helpers.load("hooks", "O0")
    local calls = 0
    local h <close> = snare.hook(libc:symbol("realloc"), function()
      local garbage = {}
      for i = 1, 50 do garbage[i] = { i, tostring(i) } end
      calls = calls + #garbage // 50
    end)
    assert.equal(100, s:call("reallocate", 100).value)
    assert.equal(100, calls)
    assert.is_true(h:stats().calls >= 100)
  end)

  it("refuses bad targets clearly", function()
    assert.error_matches(function() snare.tally("no_such_function_anywhere") end,
                         "snare.tally: bad targets: unknown symbol 'no_such_function_anywhere'",
                         1, true)
    assert.has_error(function() snare.tally(true) end)
    assert.has_error(function() snare.hook("fib") end)
    local lib <close> = helpers.load("loops", "O0")
    local _t <close> = snare.tally("fib")
    assert.has_error(function() snare.core.hook(lib:symbol("fib")) end)
  end)

  it("refuses to catch returns inside a function, and says why", function()
    local lib <close> = helpers.load("loops", "O0")
    local inside = lib:symbol("fib") + 1 -- past push rbp, at -O0
    assert.error_matches(function() snare.profile(inside) end,
                         "not a function's entry: cannot catch its return",
                         1, true)
  end)
end)
