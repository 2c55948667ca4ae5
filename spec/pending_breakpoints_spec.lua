-- pending_breakpoints_spec.lua - `break FUNC` for a function of a library
-- the program opens only once it runs (late_load dlopens
-- liblate_library.so), under each `set breakpoint pending` mode, as gdb
-- 13 -batch answers: auto asks and is answered no (input not from a
-- terminal), on makes a numbered pending breakpoint that info
-- breakpoints lists as <PENDING> and that is set, with its number, when
-- the loader adds the library (at r_debug's breakpoint, without a dlopen
-- of ours) and is pending again in the next run, off refuses.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

local function g_text(lines)
  return table.concat(lines, "\n")
end

describe("pending breakpoints against gdb", function()
  local program = helpers.program("late_load")
  local library = helpers.fixture("late_library")

  for _, mode in ipairs { "auto", "on", "off" } do
    it("with set breakpoint pending " .. mode, function()
      local count, g = compare.assert_same("pending_breakpoints " .. mode, {
        "set breakpoint pending " .. mode, "show breakpoint pending",
        "break late_add", "tbreak late_square", "break main",
        "info breakpoints", "delete 3", "run", "bt", "continue",
        "info breakpoints", "continue", "continue",
      }, program, library)
      assert.are.equal(0, count)
      if mode == "on" then -- each stops in the library, once set
        assert.truthy(g_text(g):find("Breakpoint 1, late_add (a=1, b=2)", 1,
                                     true))
        assert.truthy(g_text(g):find("Temporary breakpoint 2, late_square",
                                     1, true))
      end
    end)
  end

  it("are set when a next over the dlopen ends", function()
    local count, g = compare.assert_same("pending_breakpoints next", {
      "set breakpoint pending on", "break late_add", "break main", "run",
      "next", "next", "next", "next", "info breakpoints", "next", "continue",
    }, program, library)
    assert.are.equal(0, count)
    assert.truthy(g_text(g):find("Breakpoint 1, late_add", 1, true))
  end)

  it("are kept across runs, pending again in each new process", function()
    local count, g = compare.assert_same("pending_breakpoints rerun", {
      "set breakpoint pending on", "break late_add", "break main", "run",
      "info breakpoints", "run", "info breakpoints", "continue",
      "info breakpoints", "run", "info breakpoints",
    }, program, library)
    assert.are.equal(0, count)
    assert.truthy(g_text(g):find("Breakpoint 1, late_add", 1, true))
  end)
end)
