-- debug_before_run_spec.lua - `snare debug -- PROG` before `run` as gdb
-- 13 -batch, which reads the executable file then: values of file scope
-- from .data and .bss, addresses as the file gives them and read there
-- (p &total, p (long)&total, p *(int *)0x4020, x/2xw 0x4020,
-- p main, x, info address, info symbol ADDR, info breakpoints,
-- disassemble: loop, jrcxz and xbegin name their targets too), gdb's
-- words for what needs a process (locals, registers, calls, frames),
-- then the run-time addresses after `run`;
-- and FILE:FUNCTION linespecs (break, tbreak, until, advance, list,
-- info line) choosing the function of that file only, with gdb's errors
-- and batch mode's answer to the pending question. On the fixture
-- file_data (two units, each with a static `helper`) and on the corpus
-- (bzip2, xz at -O0 and -O2) when it is built.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"
local gdb_compare = require "spec.gdb_compare"

local program = helpers.program("file_data")
local corpus = "build/corpus/bin/"

-- bzip2's functions of bzip2.c that gcc -O2 inlines everywhere (gdb's
-- FILE:FUNC finds no definition out of line then) or keeps.
local bzip2_functions = { "myfeof", "uInt64_isZero", "fileExists",
                          "uncompressStream", "testStream" }

-- The corpus programs built, each with the source file of its main and
-- FILE:FUNCTION linespecs of other functions.
local function corpus_programs()
  local found = {}
  for _, build in ipairs { { "gcc-O0/bzip2", "bzip2.c", bzip2_functions },
                           { "gcc-O2/bzip2", "bzip2.c", bzip2_functions },
                           { "gcc-O0/xz", "main.c", {} },
                           { "gcc-O2/xz", "main.c", {} } } do
    local f = io.open(corpus .. build[1])
    if f then
      f:close()
      found[#found + 1] = { corpus .. build[1], build[2], build[3] }
    end
  end
  return found
end

-- All lines of stdout and stderr (gdb's libthread_db lines out), as
-- printed: before `run` the addresses are the file's, the same in both.
local function exact_lines(out, err)
  local text = (out .. dp.own_errors(err))
    :gsub("%[Thread debugging[^\n]*\n", "")
    :gsub("Using host libthread_db[^\n]*\n", "")
  return dp.matching(text, { "." })
end

-- Runs `commands` under both on `prog`; returns the differing lines'
-- count and gdb's lines' count.
local function exact_mismatches(label, commands, prog)
  local mine = exact_lines(dp.snare_debug(commands, prog))
  local gdb = exact_lines(dp.gdb_batch(commands, prog))
  return helpers.mismatches(label, mine, gdb), #gdb
end

-- What the fixture is asked before `run`.
local fixture_commands = {
  "p &total", "p total", "p zero", "p arr", "p *&total", "p sizeof(total)",
  "x/4xw &total", "p &main", "p main", "p ptr", "p *ptr", "p msg",
  "p pair", "p arr[1] + total", "p &pair.b", "p &pair + 1", "p &arr[1]", "p *arr@2", "p/x &total",
  "x/2ag &ptr", "output ptr", "info address total", "info address main",
  "info address helper", "info address printf", "info address nosuch",
  "info address", "info address arr", "info symbol 0x4020",
  "info symbol &total", "info symbol main", "info symbol 0x1149",
  "info symbol 16", "ptype total", "whatis arr", "ptype main",
  "ptype pair", "whatis &pair", "p local", "p $pc", "info registers",
  "p helper(1)", "x/i $pc", "info frame", "bt", "finish", "x/2i main",
  "disassemble helper", "disassemble branches", "x/3i branches+16",
  "break main", "break file_data.c:helper",
  "break other.c:helper", "tbreak other.c:other_entry",
  "info breakpoints", "list other.c:helper", "info line other.c:helper",
  "info line file_data.c:helper", "p (long)&total", "p/x (long)&total",
  "p (long)&total - (long)&arr", "p *(int *)(long)&total",
  "p *(int *)0x4020", "p (int *)0x4020", "x/2xw 0x4020", "p $_",
  "x/s (long)msg", "p (char *)(long)msg", "x/i 0x1149", "x/i 16",
  "p *(int *)16", "p (long)main", "p (long)arr", "p/x main", "p/d main",
  "p/t helper", "p/z main", "p/u *main", "output/x main", "p/s main" }

-- The same questions of a corpus program, of its main (`file`: main's).
local function corpus_commands(file)
  return { "p &main", "p main", "p *main", "info address main",
           "info symbol main", "info symbol &main", "x/2i main",
           "ptype main", "whatis &main", "p sizeof(main)", "p $sp",
           "p nosuch", "info frame", "break " .. file .. ":main",
           "info breakpoints", "info line " .. file .. ":main",
           "info address nosuch" }
end

describe("snare debug -- PROG before run", function()
  it("prints the file's values and addresses as gdb, the run-time ones "
     .. "after run", function()
    local bad, lines = exact_mismatches("before run", fixture_commands,
                                        program)
    local cases = 1
    for _, prog in ipairs(corpus_programs()) do
      local b, l = exact_mismatches(prog[1], corpus_commands(prog[2]),
                                    prog[1])
      bad, lines, cases = bad + b, lines + l, cases + 1
    end
    -- after `run`: the process's addresses (compared without them: the
    -- run-time libraries differ)
    local after = { "break helper", "run", "p &total", "p ptr", "p main",
                    "info address total", "info address main",
                    "info address printf", "info symbol &total",
                    "p (long)&total", "p *(int *)(long)&total",
                    "p/x main", "p/d helper",
                    "x/2ag &ptr", "info breakpoints", "up", "p total",
                    "p $pc == main + 0", "disassemble branches",
                    "disassemble /r branches", "finish" }
    local count, gdb = gdb_compare.assert_same("after run", after, program)
    bad, lines = bad + count, lines + #gdb
    print(("FIGURE before run vs gdb: %d programs, %d lines compared, %d "
           .. "mismatches"):format(cases, lines, bad))
    assert.equal(0, bad)
    assert.is_true(lines >= 100)
    if cases == 1 then
      pending("no corpus builds (tools/corpus/build): the fixture alone")
    end
  end)

  it("takes FILE:FUNCTION as gdb: the function of that file, gdb's errors "
     .. "and batch mode's pending answer", function()
    local commands = {
      "break file_data.c:helper", "break other.c:helper", "info breakpoints",
      "break nosuch.c:helper", "break file_data.c:nosuch",
      "break file_data.c:other_entry", "tbreak other.c:other_entry",
      "tbreak nosuch.c:main", "list other.c:helper",
      "list file_data.c:helper", "info line other.c:helper",
      "info line file_data.c:helper", "list nosuch.c:helper",
      "list file_data.c:nosuch", "info line file_data.c:nosuch",
      "info line nosuch.c:main", "advance other.c:helper",
      "until other.c:helper", "run", "until other.c:helper",
      "advance file_data.c:helper", "info breakpoints",
      "advance nosuch.c:main", "until file_data.c:nosuch", "continue",
      "continue" }
    local bad, lines = 0, 0
    local count, gdb = gdb_compare.assert_same("FILE:FUNCTION", commands,
                                               program)
    bad, lines = bad + count, lines + #gdb
    local pending_on = { "set breakpoint pending on", "break nosuch.c:main",
                         "break file_data.c:nosuch", "tbreak other.c:nosuch",
                         "info breakpoints", "set breakpoint pending off",
                         "break nosuch.c:main", "break other.c:nosuch",
                         "info breakpoints", "run" }
    count, gdb = gdb_compare.assert_same("FILE:FUNCTION pending",
                                         pending_on, program)
    bad, lines = bad + count, lines + #gdb
    local cases = 2
    for _, prog in ipairs(corpus_programs()) do
      local file = prog[2]
      local commands_here = {
        "break " .. file .. ":main", "break nosuch.c:main",
        "break " .. file .. ":nosuch", "list " .. file .. ":main",
        "info line " .. file .. ":main", "tbreak " .. file .. ":main" }
      for _, name in ipairs(prog[3]) do
        commands_here[#commands_here + 1] = "break " .. file .. ":" .. name
        commands_here[#commands_here + 1] = "info line " .. file .. ":"
                                            .. name
      end
      commands_here[#commands_here + 1] = "info breakpoints"
      count, gdb = gdb_compare.assert_same(prog[1], commands_here, prog[1])
      bad, lines, cases = bad + count, lines + #gdb, cases + 1
    end
    print(("FIGURE FILE:FUNCTION vs gdb: %d cases, %d lines compared, %d "
           .. "mismatches"):format(cases, lines, bad))
    assert.equal(0, bad)
    assert.is_true(lines >= 60)
  end)

  it("reads _Bool as a type name the program's DWARF defines, and a type "
     .. "name alone as gdb's parser", function()
    -- gdb's C parser has no _Bool keyword: the name is looked up as a
    -- type, which file_symbols' DWARF has (a program without it is
    -- told No symbol "_Bool" in current context.)
    local commands = { "p (_Bool)counter", "p (_Bool)2", "p (_Bool)0",
                       "p sizeof(_Bool)", "whatis (_Bool)1", "p (_Bool *)0",
                       "p (_Bool)bo", "p _Bool", "p myint", "whatis myint",
                       "output myint", "p sizeof(myint)", "break main", "run",
                       "p (_Bool)counter", "p _Bool", "p anon_t",
                       "p (const _Bool)3" }
    local count, gdb = gdb_compare.assert_same("_Bool and type names",
                                               commands,
                                               helpers.program("file_symbols"))
    print(("FIGURE _Bool and type names vs gdb: %d lines compared, %d "
           .. "mismatches"):format(#gdb, count))
    assert.equal(0, count)
  end)
end)
