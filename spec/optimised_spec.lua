-- optimised_spec.lua - values of optimised code as gdb shows them, on
-- spec/fixtures/optimised.c: a static local table of a shared object (its
-- DW_OP_addr is a link-time address), a parameter known only by its value
-- at entry (DW_OP_entry_value, from the caller's call site), and a local
-- of a block that owns no code (gdb lists it, optimised out).
local helpers = require "spec.helpers"

local function mark(name)
  local n = 0
  for text in io.lines("spec/fixtures/optimised.c") do
    n = n + 1
    if text:find("MARK: " .. name, 1, true) then return n end
  end
  error("no MARK: " .. name)
end

-- The entry of list named name, or nil.
local function entry(list, name)
  for _, e in ipairs(list) do
    if e.name == name then return e end
  end
end

for _, level in ipairs{ "O0", "O2" } do
  describe("optimised code at " .. level, function()
    local lib

    setup(function()
      lib = helpers.load("optimised", level)
    end)

    after_each(helpers.close_sessions)

    teardown(function()
      lib:close()
    end)

    -- The innermost frame at the MARK line, calling fn(...).
    local function stop_at(name, fn, ...)
      local s = helpers.session{ timeout = 10000 }
      s:breakpoint("optimised.c:" .. mark(name))
      assert.equals("breakpoint", s:call(fn, ...).kind)
      return s:backtrace()[1]
    end

    it("reads a static local table of the library where it was loaded",
       function()
      local f = stop_at("table", "static_table", 3)
      assert.same({ 3, 4, 5, 6, 7, 8, 9, 10 }, f:var("table"))
      assert.same({ 3, 4, 5, 6, 7, 8, 9, 10 }, entry(f:locals(), "table").value)
    end)

    if level == "O2" then
      it("lists a local of a block without code, optimised out", function()
        local f = stop_at("blockless", "blockless", 2)
        local gone = entry(f:locals(), "gone")
        assert.is_not_nil(gone)
        assert.is_nil(gone.value)
        assert.equals("optimized out", gone.problem)
        assert.equals(3, entry(f:locals(), "r").value)
      end)
    end
  end)
end
