-- pending_breakpoints_spec.lua - `break FUNC` for a function of a library
-- the program opens only once it runs (late_load dlopens
-- liblate_library.so), under each `set breakpoint pending` mode, as gdb
-- 13 -batch answers: auto asks and is answered no (input not from a
-- terminal), on makes a numbered pending breakpoint that info
-- breakpoints lists as <PENDING>, off refuses. (Resolving them at the
-- library's load is not done: see pending_breakpoints.lua.)
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

describe("pending breakpoints against gdb", function()
  local program = helpers.program("late_load")
  local library = helpers.fixture("late_library")

  for _, mode in ipairs { "auto", "on", "off" } do
    it("with set breakpoint pending " .. mode, function()
      local count = compare.assert_same("pending_breakpoints " .. mode, {
        "set breakpoint pending " .. mode, "show breakpoint pending",
        "break late_add", "tbreak late_square", "break main",
        "info breakpoints", "delete 1", "info breakpoints",
      }, program, library)
      assert.are.equal(0, count)
    end)
  end
end)
