-- batch_spec.lua - snare.batch: breakpoints set in it take effect when it
-- returns (its traps written together), its results and errors pass
-- through, and it nests.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("snare.batch", function()
  local loops

  setup(function()
    loops = helpers.load("loops")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    loops:close()
  end)

  it("writes the traps of the breakpoints it sets when it returns", function()
    local s = helpers.session()
    local bps = snare.batch(function()
      local list = {}
      for _, name in ipairs({ "*count_to", "*fib" }) do
        list[#list + 1] = s:breakpoint(name)
      end
      -- Not yet written: a call inside the batch runs past them.
      local inside = s:call("count_to", 4)
      assert.equals("exit", inside.kind)
      assert.equals(10, inside.value)
      return list
    end)
    assert.equals(0, bps[1].hits)
    local stop = s:call("count_to", 4)
    assert.equals("breakpoint", stop.kind)
    assert.equals(bps[1], stop.breakpoint)
    assert.equals("exit", s:continue().kind)
    stop = s:call("fib", 1)
    assert.equals(bps[2], stop.breakpoint)
    assert.equals(1, s:continue().value)
  end)

  it("returns what its function returns and nests", function()
    local a, b = snare.batch(function(x, y)
      return snare.batch(function() return x + 1, y .. "!" end)
    end, 1, "go")
    assert.equals(2, a)
    assert.equals("go!", b)
  end)

  it("ends on an error and raises it again", function()
    local s = helpers.session()
    local bp
    local ok, err = pcall(snare.batch, function()
      bp = s:breakpoint("*count_to")
      error("inside the batch")
    end)
    assert.is_false(ok)
    assert.matches("inside the batch", err)
    -- The batch ended: its trap is written, and a new batch can begin.
    assert.equals(bp, s:call("count_to", 2).breakpoint)
    assert.equals("exit", s:continue().kind)
    assert.equals(3, snare.batch(function() return 3 end))
  end)
end)
