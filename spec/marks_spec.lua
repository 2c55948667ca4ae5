-- marks_spec.lua - marks from Lua: SNARE_MARK and USDT probes found as
-- readelf lists them, breakpoints on marks with evaluated data, mark
-- hooks and probe hooks with exact counts and argument values.
local snare = require "snare"
local helpers = require "spec.helpers"

-- Link-time addresses of the probes readelf lists in a fixture, by name.
local function readelf_probes(path)
  local out = assert(io.popen("readelf -n " .. path)):read("a")
  local found = {}
  for name, loc, sem, args in out:gmatch(
      "Name: (%w+)%s+Location: (0x%x+), Base: 0x%x+, Semaphore: (0x%x+)%s+Arguments: ([^\n]*)") do
    found[name] = { location = tonumber(loc), semaphore = tonumber(sem), args = args }
  end
  return found
end

for _, level in ipairs { "O0", "O2" } do
  describe("marks at -" .. level, function()
    local s, lib
    before_each(function()
      collectgarbage() -- hooks of earlier specs would arm these marks too
      collectgarbage()
      s = helpers.session()
      lib = helpers.load("marks", level)
    end)
    after_each(function()
      helpers.close_sessions()
      lib:close()
    end)

    it("finds the probes readelf lists, at their run-time addresses", function()
      local expected = readelf_probes(helpers.fixture("marks", level))
      local probes = lib:probes()
      assert.equal(2, #probes)
      for _, p in ipairs(probes) do
        local e = assert(expected[p.name])
        assert.equal("fixture", p.provider)
        assert.equal(lib.base + e.location, p.address)
        assert.equal(lib.base + e.semaphore, p.semaphore)
        local _, nargs = e.args:gsub("@", "")
        assert.equal(nargs, #p.args)
        assert.equal(0x90, snare.read_u8(p.address)) -- unarmed: sdt's nop
      end
      local native = 0
      for _, m in ipairs(lib:marks()) do
        if not m.provider then
          native = native + 1
          assert.equal("\x0f\x1f\x44\x00\x00", snare.read(m.address, 5))
          assert.equal(0, m.armed)
        end
      end
      assert.equal(4, native)
    end)

    it("stops at marks filtered by data1, with evaluated data2", function()
      local id = assert(snare.mark_break(s, { data1 = 7 }))
      local seen = {}
      local stop = s:call("marks_loop", 4)
      while stop.kind == "breakpoint" do
        assert.is_true(stop.at_mark)
        seen[#seen + 1] = { stop.data1, stop.data2 }
        stop = s:continue()
      end
      assert.equal(6, stop.value)
      assert.same({ { 7, 0 }, { 7, 1 }, { 7, 2 }, { 7, 3 } }, seen)
      assert.is_true(snare.mark_break_clear(id))
      assert.equal(6, s:call("marks_loop", 4).value)
    end)

    it("runs a Lua hook per matching mark with the frame", function()
      local seen = {}
      local h <close> = snare.mark_hook({ data1 = 7 }, function(fn, d1, d2, frame)
        seen[#seen + 1] = d2
        assert.equal(lib:symbol("marks_loop"), fn)
        assert.equal(7, d1)
        assert.is_number(frame.regs.rsp)
      end)
      assert.equal(10, s:call("marks_loop", 5).value)
      assert.same({ 0, 1, 2, 3, 4 }, seen)
      assert.equal(5, h:stats().hits)
      assert.equal(0, h:stats().errors)
    end)

    it("computes data from a register or memory given in Lua", function()
      local fn = lib:symbol("marks_memory")
      local m = snare.mark(fn, { reg = "rdi" }, { reg = "rsp", offset = 0 })
      local values = {}
      local h <close> = snare.mark_hook({ mark = m }, function(_, d1, d2)
        values[#values + 1] = { d1, d2 }
      end)
      assert.equal(-3, s:call("marks_memory", -3).value)
      assert.equal(1, #values)
      assert.equal(-3, values[1][1])
      assert.is_true(values[1][2] ~= 0) -- the return address at entry
      assert.equal(1, h:stats().hits)
      assert.is_true(snare.mark_remove(m))
    end)

    it("calls a probe hook with the probe's arguments", function()
      local steps = {}
      local h <close> = snare.probe_hook(lib, "fixture:step", function(i, sum)
        steps[#steps + 1] = { i, sum }
      end)
      assert.equal(6, s:call("marks_loop", 4).value)
      assert.same({ { 0, 0 }, { 1, 1 }, { 2, 3 }, { 3, 6 } }, steps)
      assert.equal(4, h:stats().hits)
    end)

    it("raises the semaphore only while a probe is hooked", function()
      assert.equal(0, s:call("marks_ticks", 3).value)
      local ticks = {}
      local h = snare.probe_hook(lib, "fixture:tick", function(i)
        ticks[#ticks + 1] = i
      end)
      assert.equal(3, s:call("marks_ticks", 3).value)
      assert.same({ 0, 1, 2 }, ticks)
      h:remove()
      assert.equal(0, s:call("marks_ticks", 3).value)
    end)
  end)
end

describe("marks, bad input", function()
  it("refuses bad registers, operands and unknown ids clearly", function()
    local lib <close> = helpers.load("marks", "O0")
    local fn = lib:symbol("marks_loop")
    assert.has_error(function() snare.mark(fn, { reg = "xyz" }) end,
                     "snare.mark: data1: unknown register 'xyz'")
    assert.has_error(function() snare.mark(fn, "foo(%rip)") end,
                     "snare.mark: data1: cannot evaluate operand 'foo(%rip)'")
    assert.has_error(function() snare.mark(fn, true) end)
    local ok, msg = snare.mark_remove(987654)
    assert.is_nil(ok)
    assert.matches("not found", msg)
    assert.is_nil((snare.mark_info(987654)))
    assert.has_error(function() snare.probe_hook(lib, "fixture:nope", print) end)
    assert.has_error(function() snare.mark_hook({ data1 = "x" }, print) end,
                     "mark filter: data1 must be an integer")
  end)

  it("accepts a filter matching nothing", function()
    local s = helpers.session()
    local _lib <close> = helpers.load("marks", "O0")
    local id = assert(snare.mark_break(s, { data1 = 424242 }))
    assert.equal(10, s:call("marks_loop", 5).value)
    assert.is_true(snare.mark_break_clear(id))
    helpers.close_sessions()
  end)
end)
