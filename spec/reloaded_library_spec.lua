-- reloaded_library_spec.lua - breakpoints in a library the program
-- closes and opens again (reload_loop dlopens liblate_library.so, calls
-- late_add and dlcloses it, three times, then opens it and calls into it
-- on the dlopen's line), as gdb 13 -batch answers: at each dlclose the
-- library's breakpoints are pending again ("Temporarily disabling
-- breakpoints for unloaded shared library", <PENDING> in info
-- breakpoints, hit counts kept) and are set again when it comes back,
-- stopping in each round; a `next` over a line that opens the library
-- and calls into it stops at the call's breakpoint.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

local function text(lines)
  return table.concat(lines, "\n")
end

local function count(haystack, needle)
  local n, at = 0, 1
  while true do
    local found = haystack:find(needle, at, true)
    if not found then
      return n
    end
    n, at = n + 1, found + #needle
  end
end

describe("breakpoints in a library closed and opened again, against gdb",
         function()
  local program = helpers.program("reload_loop")
  local library = helpers.fixture("late_library")
  local total = 0

  local function same(name, commands)
    local mismatches, g = compare.assert_same("reloaded_library " .. name,
                                              commands, program, library)
    total = total + mismatches
    assert.are.equal(0, mismatches)
    return text(g)
  end

  it("stop in every round, pending while the library is closed", function()
    local g = same("rounds", {
      "set breakpoint pending on", "break late_add", "break reload_loop.c:18",
      "run", "continue", "continue", "info breakpoints", "continue",
      "info breakpoints", "continue", "continue", "info breakpoints",
      "continue", "continue", "info breakpoints", "continue",
    })
    assert.are.equal(4, count(g, "Breakpoint 1, late_add"))
    assert.are.equal(4, count(g, "Temporarily disabling breakpoints"))
    assert.truthy(g:find("<PENDING>          late_add", 1, true))
  end)

  it("keep their condition, ignore count, line and disabled state",
     function()
    local g = same("line and condition", {
      "set breakpoint pending on", "break late_library.c:16 if a == 2",
      "tbreak late_square", "break late_add", "disable 3",
      "break reload_loop.c:18", "ignore 1 1", "run", "info breakpoints",
      "continue", "info breakpoints", "continue", "info breakpoints",
      "continue", "continue", "info breakpoints", "continue", "continue",
    })
    assert.truthy(g:find("<PENDING>          late_library.c:16 if a == 2", 1,
                         true))
    assert.truthy(g:find("Temporary breakpoint 2, late_square", 1, true))
    assert.falsy(g:find("Breakpoint 1, late_add", 1, true)) -- (ignored)
  end)

  it("deleted while loaded, leave nothing to disable at the close",
     function()
    local g = same("deleted", {
      "set breakpoint pending on", "break late_add", "break reload_loop.c:18",
      "run", "continue", "delete 1", "continue", "info breakpoints",
      "continue", "continue",
    })
    assert.are.equal(0, count(g, "Temporarily disabling breakpoints"))
  end)

  it("stop a next over the line that opens the library and calls it",
     function()
    local g = same("next", {
      "set breakpoint pending on", "break reload_loop.c:28", "run",
      "break late_add", "info breakpoints", "next", "bt", "next", "next",
      "next", "info breakpoints", "next", "next", "next",
    })
    assert.truthy(g:find("Breakpoint 2, late_add (a=5, b=6)", 1, true))
  end)

  it("stop a next over a dlopen at a breakpoint set as it loads",
     function()
    same("next over dlopen", {
      "set breakpoint pending on", "break reload_loop.c:18", "run",
      "delete 1", "break late_add", "next", "next", "next", "next", "info breakpoints",
      "next", "next", "next", "next", "next",
    })
  end)

  it("counts no mismatch in all", function()
    print(string.format("FIGURE reloaded_library: %d mismatches with gdb",
                        total))
    assert.are.equal(0, total)
  end)
end)
