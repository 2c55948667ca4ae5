-- break_line_default_spec.lua - `break N` before `run` is a line of the
-- file of main, gdb's default source file (snare said "No default source
-- file"), placed and announced as gdb 13 does.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

describe("break LINE before run against gdb", function()
  local program = helpers.program("break_locations")

  it("uses the file of main", function()
    local count, g = compare.assert_same("break_line_default", {
      "break 27", "break 29", "info breakpoints", "run", "continue",
    }, program)
    assert.are.equal(0, count)
    assert.truthy(table.concat(g, "\n"):find("Breakpoint 1, main", 1, true))
  end)
end)
