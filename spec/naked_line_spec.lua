-- naked_line_spec.lua - functions without a prologue where gdb 13 puts
-- their breakpoints: a naked C function (at its entry, the line of its
-- body) and the functions of a unit in assembler (gas -g), which gdb
-- breaks at their first instruction even when it sets up a frame
-- (asm_sum's push %rbp; mov %rsp,%rbp), by name and by a line before
-- them. A line before the naked function is announced and listed as the
-- line of its `{` (rows of two lines share its entry), as gdb's; its
-- stop shows the body's.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

describe("breakpoints in functions without a prologue against gdb", function()
  local program = helpers.program("break_locations")

  it("are placed as gdb's", function()
    local count, g = compare.assert_same("naked_line", {
      "break seven", "break asm_sum", "break asm_plain",
      "break break_locations_asm.S:7", "run", "bt", "step", "continue",
      "continue", "continue",
    }, program)
    assert.are.equal(0, count)
    assert.truthy(table.concat(g, "\n"):find("asm_sum %(%) at [^\n]*:8"))
  end)

  it("names the line gdb names for a line before the naked one", function()
    local count, g = compare.assert_same("naked_line lines", {
      "break 12", "break 13", "break 14", "break 1", "info breakpoints",
      "run", "continue",
    }, program)
    assert.are.equal(0, count)
    assert.truthy(table.concat(g, "\n"):find("in seven at [^\n]*:13"))
  end)
end)
