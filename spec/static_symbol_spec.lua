-- static_symbol_spec.lua - a pointer to a function's static variable
-- printed as gdb 13 prints it: `<pair>`, the variable's name, not the
-- ELF symbol's `pair.0` (GCC numbers the static variables of one name).
local helpers = require "spec.helpers"
local gdb_cache = require "spec.gdb_cache"

local program = helpers.program("static_locals")

local function run(command)
  local pipe = assert(io.popen(command .. " 2>/dev/null"))
  local out = pipe:read("a")
  pipe:close()
  return out
end

local function values(out)
  local found = {}
  for line in out:gmatch("[^\n]*") do
    if line:match("%$%d+ = ") then
      found[#found + 1] = line:gsub("0x%x+", "0x")
    end
  end
  return found
end

describe("pointers to static variables", function()
  it("name the variable as gdb does", function()
    local commands = "-ex 'break first' -ex 'break second' -ex run "
      .. "-ex finish -ex continue -ex finish -ex 'p &counter' -ex kill"
    local s = values(run("timeout 60 bin/snare debug -batch " .. commands
                         .. " -- " .. program))
    local g = values(gdb_cache.run(run, "timeout 120 env -u LD_PRELOAD gdb -nx -batch "
                         .. "-iex 'set debuginfod enabled off' " .. commands
                         .. " " .. program))
    assert.same({ "Value returned is $1 = (int *) 0x <pair>",
                  "Value returned is $2 = (int *) 0x <pair>",
                  "$3 = (long *) 0x <counter>" }, g)
    assert.same(g, s)
  end)
end)
