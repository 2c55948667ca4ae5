-- library_spec.lua - loading shared objects and resolving symbols.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("libraries", function()
  it("load and resolve their symbols", function()
    local lib <close> = helpers.load("loops")
    assert.equals(helpers.fixture("loops"), lib.path)
    assert.is_false(lib.closed)
    assert.is_true(lib.base > 0)
    local fib = lib:symbol("fib")
    assert.is_true(fib > lib.base)
    local info = lib:symbol_info("fib")
    assert.equals("fib", info.name)
    assert.equals(fib, info.address)
    assert.is_true(info.size > 0)
    assert.is_true(info.is_function)
    assert.equals(lib.path, info.library)
    local at = lib:symbol_at(fib + 3)
    assert.equals("fib", at.name)
    assert.equals(3, at.offset)
  end)

  it("are described where the loader mapped them, without a dlopen",
     function()
    local lib <close> = helpers.load("loops")
    -- (the loader's name: the path it was opened with)
    local described <close> = assert(snare.load(lib.path, lib.base))
    assert.equals(lib.base, described.base)
    assert.equals(lib:symbol("fib"), described:symbol("fib"))
    assert.equals(lib:function_info("fib").after_prologue,
                  described:function_info("fib").after_prologue)
    -- closing it leaves the object and its breakpoints where they are
    local s <close> = snare.session()
    local bp = s:breakpoint(lib:symbol("fib"))
    described:close()
    assert.is_false(bp.cleared)
    assert.equals(lib:symbol("fib"), lib:symbol_info("fib").address)
    local none, why = snare.load(lib.path, lib.base + 4096)
    assert.is_nil(none)
    assert.matches("cannot load", why)
  end)

  it("return nil and a message for misses", function()
    local lib <close> = helpers.load("loops")
    local addr, msg = lib:symbol("nope")
    assert.is_nil(addr)
    assert.matches("unknown symbol 'nope'", msg)
    assert.is_nil((lib:symbol_info("nope")))
    local none, where = lib:symbol_at(0)
    assert.is_nil(none)
    assert.equals("no symbol at 0x0", where)
    local missing, why = snare.load("/nonexistent/libnothing.so")
    assert.is_nil(missing)
    assert.matches("cannot load /nonexistent/libnothing.so", why)
    assert.has_error(function() lib:symbol(1 == 1) end)
  end)

  it("are searched by snare.symbol and snare.symbol_at", function()
    local lib <close> = helpers.load("faults")
    local addr, from = snare.symbol("do_segv")
    assert.equals(lib:symbol("do_segv"), addr)
    assert.equals(lib.path, from.path)
    assert.equals("do_segv", snare.symbol_at(addr + 1).name)
    assert.equals("do_segv+1", snare.describe(addr + 1))
    assert.equals("do_segv", snare.describe(addr))
    assert.is_nil(snare.describe(0))
    assert.is_nil((snare.symbol("surely_not_a_symbol")))
  end)

  it("refuse use after close, and forget their symbols", function()
    local lib = helpers.load("strings", "O2")
    local path = lib.path
    lib:close()
    lib:close()
    assert.is_true(lib.closed)
    assert.equals(path, lib.path)
    assert.has_error(function() lib:symbol("my_strlen") end,
      "snare.library: closed")
    assert.has_error(function() return lib.base end, "snare.library: closed")
    assert.matches("closed", tostring(lib))
  end)

  it("close at the end of a <close> scope", function()
    local kept
    do
      local lib <close> = helpers.load("strings", "O2")
      kept = lib
    end
    assert.is_true(kept.closed)
  end)

  it("stop resolving names once closed", function()
    local s <close> = snare.session()
    local closed
    do
      local lib <close> = helpers.load("loops", "O2")
      closed = lib
      assert.equals(55, s:call(lib:symbol("fib"), 10).value)
    end
    local _, from = snare.symbol("fib")
    assert.not_equals(closed, from) -- nil, or a library still loaded
    assert.has_error(function() s:call("sum_array_nope") end,
      "unknown symbol 'sum_array_nope'")
  end)
end)
