-- disassemble_objdump_spec.lua - every instruction of whole programs as
-- objdump 2.40 spells it (the libopcodes gdb 13 prints with), in AT&T and
-- in Intel syntax: spec/disasm_oracle/driver decodes each instruction
-- objdump shows at its address and compares snare's text with objdump's
-- (branch targets as gdb writes them, "0x1139"); the counts are FIGURE
-- lines and no instruction may differ. A fixture program, libc.so.6
-- (AVX2 and AVX-512 string functions) and corpus programs at gcc -O0,
-- -O2 -fcf-protection, -O3 and clang -O2 (pending without the corpus);
-- spec/disasm_oracle/run.sh runs every corpus program and /usr/bin.
local helpers = require "spec.helpers"

local build = os.getenv("SNARE_BUILD") or "build"
local driver = build .. "/disasm_oracle/driver"

-- objdump's dump of `object` through the driver in `flavor`: the count of
-- instructions compared and of those that differ (the first few printed).
local function compare(object, flavor)
  local command = string.format(
    "objdump -d -w --insn-width=15 %s %s | %s %s -n 5",
    flavor == "intel" and "-M intel" or "", helpers.quote(object),
    helpers.quote(driver), flavor)
  local pipe = assert(io.popen(command))
  local output = pipe:read("a")
  pipe:close()
  local compared, differ = output:match("compared (%d+) differ (%d+)")
  assert(compared, "the driver printed no counts:\n" .. output)
  compared, differ = tonumber(compared), tonumber(differ)
  if differ > 0 then
    print(output)
  end
  print(string.format("FIGURE disassembly vs objdump %s %s: %d of %d "
                      .. "instructions differ", flavor, object, differ,
                      compared))
  return compared, differ
end

local function object_it(name, object, least)
  local present = object and io.open(object)
  if present then present:close() end
  return (present and it or pending)(
    name .. ": every instruction as objdump spells it, AT&T and Intel",
    function()
      for _, flavor in ipairs { "att", "intel" } do
        local compared, differ = compare(object, flavor)
        assert.is_true(compared >= least, compared .. " compared")
        assert.equal(0, differ)
      end
    end)
end

local function libc()
  local pipe = assert(io.popen("ldconfig -p"))
  local listing = pipe:read("a")
  pipe:close()
  return listing:match("libc%.so%.6 %([^)]*x86%-64[^)]*%) => (%S+)")
end

describe("disassembly compared with objdump 2.40", function()
  it("the driver counts a differing instruction (a wrong text fails)",
     function()
    -- objdump's line for 48 89 e5, then the same bytes with another text
    local input = os.tmpname()
    local f = assert(io.open(input, "w"))
    f:write("    1000:\t48 89 e5             \tmov    rbp,rsp\n",
            "    1003:\t48 89 e5             \tmov    rsp,rbp\n")
    f:close()
    local out = io.popen(helpers.quote(driver) .. " intel < " .. input)
    local text = out:read("a")
    out:close()
    os.remove(input)
    assert.matches("compared 2 differ 1 skipped 0", text, 1, true)
  end)

  object_it("a fixture program", helpers.program("debug_program"), 200)
  object_it("libc.so.6", libc(), 300000)
  local corpus = "build/corpus/bin/"
  object_it("gcc-O0 bzip2", corpus .. "gcc-O0/bzip2", 10000)
  object_it("gcc-O2-fcf-protection xz",
            corpus .. "gcc-O2-fcf-protection/xz", 10000)
  object_it("gcc-O3 zstd", corpus .. "gcc-O3/zstd", 10000)
  object_it("clang-O2 pcre2grep", corpus .. "clang-O2/pcre2grep", 10000)
end)
