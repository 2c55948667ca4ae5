-- session_doc_spec.lua - the LDoc reference has an entry of its own for
-- every session method (doc/session.luadoc), so a method added to the C
-- module without one fails here.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("the session reference", function()
  it("documents every session method in an entry of its own", function()
    local s <close> = snare.session()
    local _, methods = debug.getupvalue(getmetatable(s).__index, 1)
    assert.is_table(methods)
    local text = assert(helpers.read_file("doc/session.luadoc"))
    local missing = {}
    for name in pairs(methods) do
      if not text:find("@function Session:" .. name .. "\n", 1, true) then
        missing[#missing + 1] = name
      end
    end
    table.sort(missing)
    assert.same({}, missing)
  end)
end)
