-- source_spec.lua - source lines and functions from DWARF in Lua, and
-- breakpoints by source location, over spec/fixtures/lines.c.
local snare = require "snare"
local helpers = require "spec.helpers"

for _, level in ipairs { "O0", "O2" } do
  describe("source lines at -" .. level, function()
    local lib

    setup(function()
      lib = helpers.load("lines", level)
    end)

    teardown(function()
      lib:close()
    end)

    after_each(helpers.close_sessions)

    it("maps lines to addresses and back", function()
      local addrs = assert(lib:addresses("lines.c:23"))
      assert.same(addrs, lib:addresses("lines.c", 23))
      assert.same(addrs, lib:addresses("fixtures/lines.c:23"))
      for _, addr in ipairs(addrs) do
        local where = assert(lib:line_at(addr))
        assert.equals(23, where.line)
        assert.matches("spec/fixtures/lines%.c$", where.file)
        assert.equals("lines_loop", where["function"])
        assert.is_true(where.address <= addr)
        assert.same(where, snare.line_at(addr))
      end
    end)

    it("says when a line has no code or an address no line", function()
      local none, msg = lib:addresses("lines.c:9")
      assert.is_nil(none)
      assert.equals("lines.c:9 has no code", msg)
      none, msg = snare.line_at(0x10)
      assert.is_nil(none)
      assert.matches("no line at 0x10", msg)
      assert.has_error(function() lib:addresses("lines.c") end)
    end)

    it("describes functions", function()
      local fn = assert(lib:function_info("lines_many"))
      assert.equals("lines_many", fn.name)
      assert.is_false(fn.inlined)
      assert.equals(lib:symbol("lines_many"), fn.entry)
      assert.is_true(fn.after_prologue >= fn.entry)
      assert.equals(50, fn.decl_line)
      assert.matches("lines%.c$", fn.decl_file)
      assert.same({ "a", "b", "c", "d", "e", "f", "g" }, fn.params)
      assert.equals(fn.entry, fn.ranges[1].low)
      assert.is_nil((lib:function_info("nope")))
    end)

    it("stops at a loop body line on each iteration", function()
      local s = helpers.session { timeout = 5000 }
      local bp = s:breakpoint("lines.c:23")
      local stop = s:call("lines_loop", 4)
      local stops = 0
      while stop.kind == "breakpoint" do
        stops = stops + 1
        assert.equals(bp, stop.breakpoint)
        assert.equals(23, stop.line)
        assert.equals("lines_loop", stop.func)
        assert.matches("spec/fixtures/lines%.c$", stop.file)
        assert.matches("^breakpoint %d+ at 0x%x+ <lines_loop%+%d+> at lines%.c:23$",
          tostring(stop))
        stop = s:continue()
      end
      assert.equals(4, stops)
      assert.equals(4, bp.stops)
      assert.equals(4, bp.hits)
      assert.equals(22, stop.value) -- lines_scale(i, 3) = 3i + 1: 1 + 4 + 7 + 10
    end)

    it("places a function breakpoint past the prologue, *name at the entry",
      function()
        local s = helpers.session { timeout = 5000 }
        local fn = lib:function_info("lines_many")
        local exact = s:breakpoint("*lines_many")
        assert.equals(lib:symbol("lines_many"), exact.address)
        local past = s:breakpoint("lines_many")
        assert.same({ fn.after_prologue }, past.addresses)
        -- at -O0 the prologue is skipped; at -O2 there is none to skip
        assert.equals(level == "O0", fn.after_prologue > fn.entry)
        local stop = s:call("lines_many", 1, 2, 3, 4, 5, 6, 7)
        assert.equals(exact, stop.breakpoint)
        assert.equals("lines_many", stop.func)
        if level == "O0" then
          stop = s:continue()
          assert.equals(past, stop.breakpoint)
          assert.equals(fn.after_prologue, stop.pc)
          assert.equals(52, stop.line)
        end
        assert.equals("exit", s:continue().kind)
      end)

    it("moves a line without code to the next line with code, as gdb 13",
      function()
        local s = helpers.session()
        -- a blank line between functions: the next one's first line, past
        -- its prologue, as break lines.c:18 is
        local bp = s:breakpoint("lines.c:17")
        assert.same(s:breakpoint("lines.c:18").addresses, bp.addresses)
        -- a comment before the first function, a declaration
        assert.same(s:breakpoint("lines.c:12").addresses,
                    s:breakpoint("lines.c:10").addresses)
        assert.same(s:breakpoint("lines.c:12").addresses,
                    s:breakpoint("lines.c:1").addresses)
        -- the header's lines before its function
        assert.same(s:breakpoint("lines_helper.h:9").addresses,
                    s:breakpoint("lines_helper.h:2").addresses)
      end)

    it("lists the variables in scope at an address, with no frame there",
      function()
        local names = {}
        for _, name in ipairs(snare.core.variables_at(
                                lib:function_info("lines_add").entry)) do
          names[name] = true
        end
        assert.is_true(names.a and names.b)
        assert.is_nil(names.total)
        assert.is_nil(snare.core.variables_at(0x10))
        assert.same(lib:addresses("lines.c:23"),
                    snare.core.locations("lines.c:23"))
      end)

    it("refuses lines without code with exact_line, naming the nearest "
       .. "lines with code", function()
        local s = helpers.session()
        local ok, err = pcall(s.breakpoint, s, "lines.c:17",
                              { exact_line = true })
        assert.is_false(ok)
        assert.matches("lines.c:17 has no code; nearest lines with code: %d+, %d+$",
          err)
        assert.has_error(function() s:breakpoint("nope.c:3") end,
          "no source file named 'nope.c' in the loaded libraries")
        assert.has_error(function() s:breakpoint("no_such_function") end,
          "unknown symbol 'no_such_function'")
        assert.has_error(function() s:breakpoint("*no_such_function") end,
          "unknown symbol 'no_such_function'")
        assert.same({}, s:breakpoints())
      end)
  end)
end

describe("a breakpoint with several locations", function()
  local lib

  setup(function()
    lib = helpers.load("lines", "O2") -- lines_scale is inlined twice there
  end)

  teardown(function()
    lib:close()
  end)

  after_each(helpers.close_sessions)

  it("covers every inlined copy and acts on all of them", function()
    local s = helpers.session { timeout = 5000 }
    local fn = assert(lib:function_info("lines_scale"))
    assert.is_true(fn.inlined)
    local bp = s:breakpoint("lines_scale")
    assert.is_true(#bp.addresses >= 2)
    assert.same({ bp }, s:breakpoints())
    assert.matches(", %d+ locations", tostring(bp))
    -- one copy in lines_loop, another in lines_twice
    local function run(entry, ...)
      local stop = s:call(entry, ...)
      local pcs = {}
      while stop.kind == "breakpoint" do
        assert.equals(bp, stop.breakpoint)
        assert.equals("lines_scale", stop.func)
        assert.matches("lines_helper%.h$", stop.file)
        pcs[stop.pc] = (pcs[stop.pc] or 0) + 1
        stop = s:continue()
      end
      return pcs, stop.value
    end
    local in_loop, total = run("lines_loop", 3)
    assert.equals(12, total)
    local in_twice, sum = run("lines_twice", 2, 3)
    assert.equals(14, sum) -- (2*3+1) + (3*2+1)
    local loop_pc, loop_stops = next(in_loop)
    assert.equals(3, loop_stops) -- once per iteration
    assert.is_nil(next(in_loop, loop_pc))
    local twice_pc = next(in_twice)
    assert.not_equals(loop_pc, twice_pc)
    assert.equals(3 + in_twice[twice_pc], bp.stops)
    local stops = bp.stops

    bp:disable()
    assert.is_false(bp.enabled)
    assert.equals("exit", s:call("lines_twice", 2, 3).kind)
    bp:enable()
    assert.equals("breakpoint", s:call("lines_twice", 2, 3).kind)
    s:abort()
    assert.equals(stops + 1, bp.stops)
    bp:clear()
    assert.is_true(bp.cleared)
    assert.same({}, s:breakpoints())
    assert.equals("exit", s:call("lines_twice", 2, 3).kind)
  end)
end)

describe("a library without debug info", function()
  local dir, lib

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
    assert(os.execute(string.format("objcopy --strip-debug %s %s/liblines.so",
      helpers.fixture("lines", "O0"), dir)))
    lib = assert(snare.load(dir .. "/liblines.so"))
  end)

  teardown(function()
    lib:close()
    os.remove(dir .. "/liblines.so")
    os.remove(dir)
  end)

  after_each(helpers.close_sessions)

  it("has no lines but keeps its symbols", function()
    local add = lib:symbol("lines_add")
    assert.is_nil((lib:line_at(add)))
    assert.is_nil((snare.line_at(add)))
    assert.is_nil((lib:addresses("lines.c:14")))
    assert.is_nil((lib:function_info("lines_add")))
    local s = helpers.session { timeout = 5000 }
    local bp = s:breakpoint("lines_add") -- the ELF symbol's address
    assert.equals(add, bp.address)
    local stop = s:call("lines_add", 2, 3)
    assert.equals(bp, stop.breakpoint)
    assert.equals("lines_add", stop.func)
    assert.is_nil(stop.file)
    assert.is_nil(stop.line)
    assert.equals(5, s:continue().value)
    assert.has_error(function() s:breakpoint("lines.c:14") end,
      "no source file named 'lines.c' in the loaded libraries")
  end)
end)
