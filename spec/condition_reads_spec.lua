-- condition_reads_spec.lua - a breakpoint condition written in C reads
-- its variables through the programs compiled for the breakpoint: the
-- DWARF lookup (frame:locate) happens at the first hit at a pc only,
-- and the condition still sees each hit's value.
local helpers = require "spec.helpers"
local expr = require "snare.expr"

describe("C conditions with compiled reads", function()
  after_each(helpers.close_sessions)

  for _, level in ipairs({ "O0", "O2" }) do
    it("look the variable up once, read it at every hit (" .. level .. ")",
       function()
      local _ <close> = helpers.load("loops", level)
      local s = helpers.session()
      local locates, trapped = 0, nil
      -- the trapped frame, with its DWARF lookups counted
      local counted = setmetatable({
        locate = function(_, name)
          locates = locates + 1
          return trapped:locate(name)
        end,
        scalar = function(_, name) return trapped:scalar(name) end,
      }, { __index = function(_, key)
        -- (before the first hit the compiler asks for the pc: which
        -- language's rules, as gdb's "auto"; there is no frame yet)
        return trapped and trapped[key]
      end })
      local compiled = expr.compile("i == 7 || i * 2 == 18", expr.env {
        frame = function() return counted end,
        compiled_reads = true,
      })
      local seen = {}
      s:breakpoint("visit", { condition = function(frame)
        trapped = frame
        local truth = expr.truth(compiled())
        seen[#seen + 1] = truth
        return truth
      end })
      local stop = s:call("visit_loop", 12)
      assert.equals("breakpoint", stop.kind)
      assert.equals(7, s:frame(0):var("i"))
      assert.equals("breakpoint", s:continue().kind)
      assert.equals(9, s:frame(0):var("i"))
      assert.equals(10, #seen) -- i = 0 .. 9
      assert.equals(1, locates)
      s:abort()
    end)

    it("give a compiled read's number alone (scalar_number, " .. level .. ")",
       function()
      local _ <close> = helpers.load("loops", level)
      local s = helpers.session()
      local numbers, scalars = {}, {}
      s:breakpoint("visit", { condition = function(frame)
        numbers[#numbers + 1] = frame:scalar_number("i")
        scalars[#scalars + 1] = select(2, frame:scalar("i"))
        assert.is_nil(frame:scalar_number("no_such_variable"))
        return false
      end })
      assert.equals("exit", s:call("visit_loop", 5).kind)
      assert.same({ 0, 1, 2, 3, 4 }, numbers)
      assert.same(scalars, numbers)
    end)
  end
end)
