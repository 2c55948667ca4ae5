-- step_onto_breakpoint_gdb_spec.lua - a `next` or `step` that ends where
-- a breakpoint is reports that breakpoint's hit as gdb does ("Breakpoint
-- 2, main (argc=1, argv=0x...) at FILE:47", then the line), counts it in
-- `info breakpoints`, ends a `next N` there, deletes a temporary one and
-- passes one whose condition is false; a breakpoint hit in a call a
-- `next N` or `step N` runs ends the count there too; compared line by
-- line with gdb on the debug_program fixture.
local gdb_compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"

local cases = {
  ["next onto breakpoints, next N, tbreak and a false condition"] = {
    "break main", "break 47", "break 48", "run", "next 3",
    "info breakpoints", "tbreak 52", "break 51 if argc == 5", "next 2",
    "next", "next", "next", "info breakpoints" },
  ["step onto a breakpoint in the same function, and an ignored one"] = {
    "break scale", "break 22", "break 23", "ignore 3 1", "run", "step",
    "step", "info breakpoints" },
  ["a breakpoint hit in a call ends next N and step N"] = {
    "break main", "run", "break scale", "next 3", "bt 1", "next 2",
    "stepi 3", "info breakpoints", "kill", "run", "delete 2", "break 22",
    "step 4", "bt 1", "info breakpoints" },
}

describe("a line step that ends on a breakpoint", function()
  for name, commands in pairs(cases) do
    it("says what gdb says: " .. name, function()
      local count, gdb = gdb_compare.assert_same(
        "FIGURE step onto breakpoint, " .. name, commands,
        helpers.program("debug_program"))
      assert.truthy(#gdb > 10)
      assert.equal(0, count)
    end)
  end
end)
