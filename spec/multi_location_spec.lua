-- multi_location_spec.lua - a breakpoint of several locations (an
-- always_inline function inlined at two calls) numbered as gdb 13
-- numbers it: its extra locations take no breakpoint numbers (the next
-- breakpoint is 2, not 3), `info breakpoints` shows 1.1 and 1.2, and
-- each stop says which location ("Breakpoint 1.2, twice (x=6)"). `break
-- main`, whose first statement starts an inlined call, is named by main's
-- line of that call, as gdb names it; `break 18`, a line before twice, is
-- announced as the full name of main's file and the line.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

describe("multi-location breakpoints against gdb", function()
  local program = helpers.program("break_locations")

  it("are numbered, listed and reported as gdb's", function()
    local count, g = compare.assert_same("multi_location", {
      "break twice", "tbreak seven", "break asm_plain", "break main",
      "break 18", "info breakpoints",
      "run", "bt", "continue", "continue", "info breakpoints", "continue",
    }, program)
    assert.are.equal(0, count)
    local text = table.concat(g, "\n")
    assert.truthy(text:find("Breakpoint 1.2, twice", 1, true))
    assert.truthy(text:find("Temporary breakpoint 2 at", 1, true))
    assert.truthy(text:find("in main at [^\n]*:25"))
  end)

  -- Real code (the corpus of tools/corpus): bzip2's bsW, inlined at 85
  -- places at -O2, and break N in the file of main (bzip2.c). clang -O2
  -- starts 9 of bsW's copies inside a row of the line table, which gdb
  -- shows as "<sendMTFValues+5988>", with no line; gcc -O1 starts 2
  -- inside rows too, which gdb names by their rows' lines.
  for _, setting in ipairs { "gcc-O0", "gcc-O1", "gcc-O2", "gcc-O3",
                             "gcc-Os", "clang-O2" } do
    local corpus_program = "build/corpus/bin/" .. setting .. "/bzip2"
    local present = io.open(corpus_program)
    if present then present:close() end;
    (present and it or pending)("are numbered as gdb's in bzip2 at " .. setting,
                                function()
      local count = compare.assert_same("multi_location bzip2 " .. setting, {
        "break bsW", "break mainGtU", "break makeMaps_e", "break 300",
        "info breakpoints",
      }, corpus_program)
      assert.are.equal(0, count)
    end)
  end
end)
