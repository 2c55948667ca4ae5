-- corrupt_dwarf_spec.lua - corrupted debug information never ends the
-- process: the frames fixture (-O2) with one DW_AT_type of leaf's `local`
-- pointing past its unit (found by mutating .debug_info for
-- fuzz/debuginfo_fuzz.c; kept in spec/fuzz_corpus/). Reading that
-- variable used to hand libdwarf a NULL DIE, and libdwarf aborted.
local helpers = require "spec.helpers"
local snare = require "snare"

local CORRUPT = "spec/fuzz_corpus/debuginfo-variable-without-type.so"

describe("a library with corrupted DWARF", function()
  local lib

  setup(function() lib = assert(snare.load(CORRUPT)) end)
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  it("lists and reads a frame's variables, the broken one without a value",
    function()
      local s = helpers.session { timeout = 5000 }
      s:breakpoint("frames.c:36")
      assert.equals("breakpoint", s:call("frames_entry", 2).kind)
      local leaf = s:frame(0)
      local names = {}
      for _, e in ipairs(leaf:locals()) do names[#names + 1] = e.name end
      assert.same({ "local" }, names)
      assert.equals(0, leaf:vars().depth)
      local value, why = leaf:var("local")
      assert.is_nil(value)
      assert.equals("type not supported", why)
      assert.equals(29, s:continue().value)
    end)
end)

-- The stepping fixture (-O2) with the location list offset of measure's
-- `n` moved two bytes, into the middle of an entry (found the same way):
-- libdwarf 20210528 dereferenced NULL decoding it. The list is decoded
-- first (lib/debuginfo/lists_check.c) and read as absent.
describe("a library whose location list offset is corrupted", function()
  local lib

  setup(function()
    lib = assert(snare.load("spec/fuzz_corpus/debuginfo-location-list-mid-entry.so"))
  end)
  after_each(helpers.close_sessions)
  teardown(function() lib:close() end)

  it("reads the variable as optimized out", function()
    local s = helpers.session { timeout = 5000 }
    s:breakpoint("stepping.c:49")
    assert.equals("breakpoint", s:call(lib:symbol("measure"), "hello").kind)
    local value, why = s:frame(0):var("n")
    assert.is_nil(value)
    assert.equals("optimized out", why)
    assert.equals(6, s:continue().value)
  end)
end)
