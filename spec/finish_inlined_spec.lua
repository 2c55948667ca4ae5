-- finish_inlined_spec.lua - `finish` out of an inlined call, as gdb 13
-- does it, on spec/finish_inlined/finish_inlined.c built at -O2 by gcc
-- and clang: the stop in the caller and no "Value returned" (snare once
-- printed whatever rax held then, a different number in each run); a
-- real call's finish after it still shows its value.
local compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"

local SOURCE = "spec/finish_inlined/finish_inlined.c"
local OUT = helpers.shared_build("finish_inlined")

local function build(cc)
  local program = string.format("%s/%s-O2", OUT, cc)
  assert(os.execute(string.format("mkdir -p %s && %s -g -O2 -o %s %s", OUT,
                                  cc, program, SOURCE)))
  return program
end

describe("finish out of an inlined call", function()
  for _, cc in ipairs { "gcc", "clang" } do
    it("stops in the caller with no value, as gdb (" .. cc .. " -O2)",
       function()
      local program = build(cc)
      local count, g, s = compare.mismatches(
        { "break square_noted", "break halve", "run", "bt", "finish", "bt",
          "continue", "finish", "continue" }, program)
      -- (gcc places both stops inside a line's code, where gdb shows
      -- the pc, "0x... in main (...", as snare does)
      print(string.format("finish_inlined %s-O2: %d lines, %d mismatches with "
                          .. "gdb", cc, #g, count))
      if count > 0 then
        print("gdb:\n" .. table.concat(g, "\n") .. "\nsnare:\n"
              .. table.concat(s, "\n"))
      end
      assert.equals(0, count)
      local text = table.concat(g, "\n")
      -- the comparison saw both kinds of finish: one value, the real call's
      local values = select(2, text:gsub("Value returned is", ""))
      assert.equals(1, values)
      assert.matches("Value returned is %$%d+ = 5", text)
      assert.matches("exited normally", text)
    end)
  end
end)
