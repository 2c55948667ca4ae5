-- clang_statics_gdb_spec.lua - variables of static storage in clang's
-- DWARF 5, whose locations are DW_OP_addrx (an index into the unit's
-- .debug_addr; gcc writes DW_OP_addr): spec/fixtures/dwz's inventory
-- built with clang at -O0 and -O2, its static array `bolts` and its
-- globals printed, typed and listed as gdb does (they were "has unknown
-- type": found only as ELF symbols). Compared line by line with gdb.
local gdb_compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"
local questions = require "spec.parts_questions"

local function has(tool)
  return os.execute("command -v " .. tool .. " >/dev/null 2>&1")
end

local COMMANDS = {
  "p bolts", "whatis bolts", "ptype bolts", "p sizeof(bolts)",
  "p inventory_shelf", "p &bolts[2]", "p bolts[1].name", "p inventory_stamp",
  "info variables ^(bolts|inventory_)",
  "break part_face", "run", "p bolts", "p bolts[2].next->name",
  "p *inventory_shelf.first", "whatis &bolts",
}

describe("clang's static variables (DW_OP_addrx)", function()
  local dir = helpers.shared_build("clang_statics")

  for _, level in ipairs { "O0", "O2" } do
    local test = has("clang") and it or pending
    test("print as gdb prints them at clang -" .. level, function()
      local program = string.format("%s/inventory-%s", dir, level)
      assert(os.execute(string.format(
        "mkdir -p %s && clang -g -%s -o %s %sinventory.c %sparts.c", dir,
        level, program, questions.SOURCES, questions.SOURCES)))
      local count, gdb = gdb_compare.assert_same(
        "FIGURE clang -" .. level .. " statics", COMMANDS, program)
      assert.truthy(#gdb > #COMMANDS)
      assert.equal(0, count)
    end)
  end
end)
