-- separate_symbols_gdb_spec.lua - the local functions of a stripped
-- object named from its separate debug file's symbol table, as gdb names
-- them: the dynamic loader's dl_main (not "sub_1bfc0", the name its
-- unwind table alone gives) and libc's _init_first, by `info symbol`
-- and by `x/2i` at the prompt of `snare debug`, compared with gdb's lines
-- (addresses out: snare's libc is mapped elsewhere). Both objects ship
-- stripped; libc6-dbg installs their debug files under
-- /usr/lib/debug/.build-id (pending without it).
local gdb_compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"

-- The build-ID debug file of the ELF object at path, or nil.
local function build_id_file(path)
  local p = assert(io.popen("readelf -n " .. path .. " 2>/dev/null"))
  local id = p:read("a"):match("Build ID: (%x+)")
  p:close()
  local file = id and string.format("/usr/lib/debug/.build-id/%s/%s.debug",
                                    id:sub(1, 2), id:sub(3))
  local f = file and io.open(file)
  if f then
    f:close()
    return file
  end
end

local objects = {
  { name = "the dynamic loader", path = "/lib64/ld-linux-x86-64.so.2",
    func = "dl_main" },
  { name = "libc", path = "/lib/x86_64-linux-gnu/libc.so.6",
    func = "_init_first" },
}

describe("a stripped object's local functions against gdb", function()
  for _, object in ipairs(objects) do
    local test = build_id_file(object.path) and it or pending
    test("names " .. object.name .. "'s " .. object.func .. " as gdb does",
      function()
        local at = "(char *)" .. object.func .. " + 4"
        local commands = { "break main", "run",
                           "info symbol " .. object.func,
                           "info symbol " .. at, "x/2i " .. at }
        local count, gdb = gdb_compare.assert_same(
          "FIGURE separate debug file symbols, " .. object.func, commands,
          helpers.program("debug_program"))
        assert.matches(object.func .. " %+ 4 in section %.text", gdb[#gdb - 2])
        assert.equal(0, count)
      end)
  end
end)
