-- frames_spec.lua - backtraces and variables of a stopped worker, over
-- spec/fixtures/frames.c at -O0 and -O2.
local helpers = require "spec.helpers"

-- Line of the "MARK: name" comment in the fixture's source.
local function mark(name)
  local n = 0
  for text in io.lines("spec/fixtures/frames.c") do
    n = n + 1
    if text:find("MARK: " .. name, 1, true) then return n end
  end
  error("no mark " .. name)
end

local function funcs(frames, count)
  local names = {}
  for i = 1, count do names[i] = frames[i].func end
  return names
end

-- frames_entry(2) with nothing changed returns this.
local RESULT = 29

for _, level in ipairs { "O0", "O2" } do
  describe("backtraces and variables at -" .. level, function()
    local lib

    setup(function() lib = helpers.load("frames", level) end)
    after_each(helpers.close_sessions)
    teardown(function() lib:close() end)

    -- A session stopped in leaf, called through frames_entry(2).
    local function stopped_in_leaf()
      local s = helpers.session { timeout = 5000 }
      s:breakpoint("frames.c:" .. mark("leaf"))
      assert.equals("breakpoint", s:call("frames_entry", 2).kind)
      return s
    end

    it("names every frame, with and without frame pointers", function()
      local s = stopped_in_leaf()
      local bt = s:backtrace()
      -- at -O2 recurse(0) tail-calls middle, so gdb shows no frame for it
      local expected = level == "O0"
        and { "leaf", "no_frame_pointer", "middle", "recurse", "recurse",
              "recurse", "frames_entry" }
        or { "leaf", "no_frame_pointer", "middle", "recurse", "recurse",
             "frames_entry" }
      assert.same(expected, funcs(bt, #expected))
      assert.equals(mark("leaf"), bt[1].line)
      assert.equals(mark("nfp-call"), bt[2].line)
      assert.equals(mark("middle-call"), bt[3].line)
      assert.equals(mark("recurse-call"), bt[#expected - 1].line)
      assert.equals(mark("entry-call"), bt[#expected].line)
      assert.matches("frames%.c$", bt[1].file)
      for i = 1, #expected do
        assert.equals(i - 1, bt[i].index)
        if i > 1 then
          assert.is_true(bt[i].sp > bt[i - 1].sp) -- the stack grows down
          assert.equals(bt[i].sp, bt[i - 1].cfa)
        end
      end
      assert.equals(bt[3].pc, s:frame(2).pc)
      assert.is_nil(s:frame(10000))
    end)

    it("reads parameters and locals of every frame", function()
      local s = stopped_in_leaf()
      local leaf, middle = s:frame(0), s:frame(2)
      assert.equals(0, leaf:var("depth"))
      assert.equals(5, leaf:var("local"))
      local shape = middle:var("shape", { strings = true })
      assert.same({ x = 3, y = 5 }, shape.corner)
      assert.equals("GREEN", shape.color)
      assert.equals(4, shape.sides)
      assert.equals(1.5, shape.scale)
      assert.equals("square", shape.label)
      assert.same({ 7, 8, 9 }, shape.weights)
      assert.is_true(math.type(middle:var("shape").label) == "integer")
      assert.equals(2, middle:var("limit"))
      assert.equals(7, middle:var("count"))
      assert.equals("BLUE", middle:var("tint"))
      assert.equals(leaf:var("shape"), s:frame(1):var("shape") or
        leaf:var("shape")) -- -O2 may only know it at entry
      assert.same({ { name = "depth", value = 0 } }, middle:params())
      local names = {}
      for _, e in ipairs(middle:locals()) do names[#names + 1] = e.name end
      assert.same({ "shape", "bits", "limit", "count", "tint", "r" }, names)
      assert.equals(2, middle:vars().limit)
      local v, why = leaf:var("nosuch")
      assert.is_nil(v)
      assert.equals("no variable 'nosuch' here", why)
    end)

    it("prints a frame as gdb's backtrace does", function()
      local s = stopped_in_leaf()
      -- the file as gdb and the prompt name it (the DWARF's name)
      assert.equals("middle (depth=0) at ../spec/fixtures/frames.c:"
                    .. mark("middle-call"),
        tostring(s:frame(2)))
    end)

    it("says which variables the compiler optimised out", function()
      local s = stopped_in_leaf()
      local bits, why = s:frame(2):var("bits")
      if level == "O0" then
        assert.same({ word = 0x04030201, bytes = { 1, 2, 3, 4 } }, bits)
      else
        assert.is_nil(bits)
        assert.equals("optimized out", why)
        assert.is_nil(s:frame(2):vars().bits)
      end
    end)

    it("caps arrays and depth", function()
      local s = stopped_in_leaf()
      assert.same({ 7, 8 }, s:frame(2):var("shape", { length = 2 }).weights)
      local shallow = s:frame(2):var("shape", { depth = 1 })
      assert.same({}, shallow.corner)
      assert.equals(4, shallow.sides)
    end)

    it("writes a variable of the innermost frame", function()
      local s = stopped_in_leaf()
      s:frame(0):set_var("local", 100)
      assert.equals(100, s:frame(0):var("local"))
      assert.equals(RESULT + 95, s:continue().value)
    end)

    it("lets a condition read the trapped frame's variables", function()
      local s = helpers.session { timeout = 5000 }
      local seen = {}
      s:breakpoint("frames.c:" .. mark("recurse-call"), {
        condition = function(frame)
          seen[#seen + 1] = frame:var("n")
          return frame:var("n") == 1
        end,
      })
      local stop = s:call("frames_entry", 3)
      assert.equals("breakpoint", stop.kind)
      assert.same({ 3, 2, 1 }, seen)
      assert.equals(1, s:frame(0):var("n"))
      assert.equals("recurse", s:frame(1).func)
      assert.equals(2, s:frame(1):var("n"))
    end)

    it("refuses frames of a session that moved on", function()
      local s = stopped_in_leaf()
      local frame = s:frame(0)
      s:continue()
      assert.has_error(function() frame:var("local") end,
        "snare.stack_frame: frame is no longer valid (the session was resumed)")
      assert.has_error(function() s:backtrace() end)
    end)
  end)
end

describe("writing variables at -O0", function()
  local lib
  setup(function() lib = helpers.load("frames", "O0") end)
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  it("writes a caller frame's variable in memory", function()
    local s = helpers.session { timeout = 5000 }
    s:breakpoint("frames.c:" .. mark("leaf"))
    s:call("frames_entry", 2)
    s:frame(2):set_var("count", 10)
    s:frame(2):set_var("tint", 0)
    assert.equals("RED", s:frame(2):var("tint"))
    -- count 7 -> 10, tint BLUE (6) -> RED (0)
    assert.equals(RESULT + 3 - 6, s:continue().value)
  end)
end)
