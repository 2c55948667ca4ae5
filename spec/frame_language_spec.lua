-- frame_language_spec.lua - info frame's "source language" as gdb 13
-- says it: from the DWARF unit's DW_AT_language, not the file's name (a
-- C++ function in a .h file is c++), in frame 0 and outer frames.
local helpers = require "spec.helpers"

local quote, run = helpers.quote, helpers.run

local function languages(out)
  local found = {}
  for lang in out:gmatch("\n source language ([^\n]*)") do
    found[#found + 1] = lang
  end
  return found
end

local function both(program, func)
  local commands = string.format("-ex %s -ex run -ex 'info frame' -ex up "
                                 .. "-ex 'info frame' -ex kill",
                                 quote("break " .. func))
  local s = run(string.format("timeout 60 bin/snare debug -batch %s -- %s",
                              commands, quote(program)))
  local g = require("spec.gdb_cache").run(run, string.format(
    "timeout 120 env -u LD_PRELOAD gdb -nx -batch -iex 'set debuginfod "
    .. "enabled off' %s %s", commands, quote(program)))
  return languages(s), languages(g)
end

describe("info frame's source language", function()
  it("is the unit's, as gdb names it", function()
    local s, g = both(helpers.program("language_header"), "twice")
    assert.same({ "c++.", "c++." }, g)
    assert.same(g, s)
    s, g = both(helpers.program("debug_program"), "scale")
    assert.same({ "c.", "c." }, g)
    assert.same(g, s)
  end)
end)
