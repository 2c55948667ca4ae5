-- disassemble_gdb_spec.lua - `x/i` and `disassemble` as gdb 13 prints
-- them, in AT&T (gdb's default) and after `set disassembly-flavor intel`
-- (binutils' spelling of each): both debuggers run to main of the same
-- program and disassemble the same functions; the instruction lines that
-- differ are counted (FIGURE lines) and must be none. A fixture program
-- and two corpus programs at -O0 and -O2 (pending without the corpus).
local helpers = require "spec.debug_program_helpers"

local corpus = "build/corpus/bin/"

-- The lines gdb and snare print alike once the run's load addresses are
-- taken out (12 hex digits from 0x55.../0x7f..., zero-padded or not; the
-- <symbol+offset> after each is compared): instruction lines, and the
-- heading and end of each dump.
local function instruction_lines(text)
  local kept = {}
  for line in text:gmatch("[^\n]+") do
    if line:match("^=?>? *0x%x+ <[^>]*>:\t") or line:match("^Dump of ")
      or line:match("^End of assembler dump") then
      kept[#kept + 1] = line:gsub("0x0*[57]%x%x%x%x%x%x%x%x%x%x%x%f[^%x]",
                                  "ADDR")
    end
  end
  return kept
end

-- Runs `disassemble` at main's breakpoint, `x/8i $pc` (`x/20i $pc` in
-- Intel) and `disassemble F` for each of `functions` in both, then
-- `disassemble /r` (with the bytes) of main and of the first function,
-- in `flavor` ("att" or "intel"); returns the count of differing lines
-- (position by position) and of lines compared.
local function mismatches(name, program, functions, flavor)
  local commands = { "break main", "run" }
  if flavor == "intel" then
    commands[#commands + 1] = "set disassembly-flavor intel"
  end
  commands[#commands + 1] = flavor == "intel" and "x/20i $pc" or "x/8i $pc"
  commands[#commands + 1] = "disassemble"
  for _, f in ipairs(functions) do
    commands[#commands + 1] = "disassemble " .. f
  end
  commands[#commands + 1] = "disassemble /r"
  commands[#commands + 1] = "disassemble /r " .. functions[1]
  local gout = helpers.gdb_batch(commands, program)
  local sout, serr = helpers.snare_debug(commands, program)
  local g, s = instruction_lines(gout), instruction_lines(sout .. serr)
  -- gdb itself switched: its Intel lines name operand sizes
  assert.equal(flavor == "intel", gout:find(" PTR ", 1, true) ~= nil)
  local count = 0
  for i = 1, math.max(#g, #s) do
    if g[i] ~= s[i] then
      count = count + 1
      if count <= 10 then
        print(string.format("  %s %s line %d\n    gdb:   %s\n    snare: %s",
                            flavor, name, i, g[i], s[i]))
      end
    end
  end
  print(string.format("FIGURE disassembly %s %s: %d of %d instruction "
                      .. "lines differ from gdb", flavor, name, count, #g))
  return count, #g
end

local function corpus_it(setting, program, functions)
  local path = corpus .. setting .. "/" .. program
  local present = io.open(path)
  if present then present:close() end
  local name = setting .. "/" .. program
  return (present and it or pending)(
    name .. ": " .. table.concat(functions, ", ")
      .. " as gdb shows them, AT&T and Intel",
    function()
      for _, flavor in ipairs { "att", "intel" } do
        local count, compared = mismatches(name, path, functions, flavor)
        assert.is_true(compared > 100)
        assert.equal(0, count)
      end
    end)
end

describe("disassembly compared with gdb 13", function()
  for _, flavor in ipairs { "att", "intel" } do
    it("a fixture program in " .. flavor .. ": x/i $pc, disassemble, "
       .. "rip-relative and calls", function()
      local count, compared = mismatches("debug_program", nil,
                                         { "scale", "worker", "add_square" },
                                         flavor)
      assert.is_true(compared > 50)
      assert.equal(0, count)
    end)
  end

  -- (gdb 13.1 at the same stop prints "Invalid disassembly modifier." on
  -- stderr and goes on; checked by hand, the batch helper keeps stdout)
  it("refuses a modifier gdb does not know, in gdb's words", function()
    local sout, serr = helpers.snare_debug { "break main", "run",
                                             "disassemble /q", "print 7" }
    assert.matches("^Invalid disassembly modifier%.\n", serr)
    assert.matches("\n%$1 = 7\n", sout .. "\n")
  end)

  for _, flavor in ipairs { "att", "intel" } do
    it("a PLT stub in " .. flavor .. ": its jump through the GOT names the "
       .. "slot, as gdb", function()
      local gout = helpers.gdb_batch({ "break scale", "run",
                                       "set disassembly-flavor " .. flavor,
                                       "x/3i 'printf@plt'" })
      -- snare's expressions take no quoted names: the same lines by the
      -- function x/i prints them with
      local sout = helpers.snare_debug { "break scale", "run",
        "lua local report = require 'snare.cli.report'; "
          .. "report.disassembly_flavor = '" .. flavor .. "'; "
          .. "for _, i in ipairs(report.disassemble("
          .. "snare.symbol('printf@plt'), 3)) do "
          .. "print(report.instruction(i)) end" }
      local g, s = instruction_lines(gout), instruction_lines(sout)
      assert.equal(3, #g)
      assert.matches("# ADDR <printf@got.plt>$", g[1])
      assert.same(g, s)
    end)
  end

  corpus_it("gcc-O0", "bzip2", { "mainGtU", "BZ2_compressBlock",
                                 "BZ2_blockSort" })
  corpus_it("gcc-O2", "bzip2", { "mainGtU", "BZ2_compressBlock",
                                 "fallbackSort", "mainSort" })
  corpus_it("gcc-O0", "xz", { "lzma_crc32", "lzma_code", "args_parse" })
  corpus_it("gcc-O2", "xz", { "lzma_crc32", "crc64_clmul", "lzma_code",
                              "args_parse" })
end)
