-- starti_spec.lua - `starti` of `snare debug -- PROG`: the program stops
-- at its first instruction, where gdb 13 stops: the dynamic loader's
-- _start, or a static program's. snare holds it there under ptrace
-- (build/bin/snare_start) before the agent is in it, and answers the
-- commands a user types at that stop (snare.cli.held_start); the first
-- other command hands the program to the agent's prompt, which runs it
-- (break main, continue...). Compared with gdb -batch on the same
-- commands: a fixture, /bin/true (stripped), a static fixture and a
-- corpus program (pending without the corpus). Only the stack's
-- addresses are taken out: gdb's program has another environment
-- (LINES, COLUMNS; snare's the agent's settings), so its stack starts
-- elsewhere; code addresses, registers and words are compared.
local helpers = require "spec.helpers"
local compare = require "spec.gdb_compare"

local function run(program, commands)
  local words = {}
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex '" .. c .. "'"
  end
  local pipe = assert(io.popen(string.format(
    "timeout 60 bin/snare debug -batch %s -- %s 2>&1",
    table.concat(words, " "), program)))
  local out = pipe:read("a")
  pipe:close()
  return out
end

-- A stack address (the top 128 KiB below 0x7ffffffff000), zero-padded
-- or not.
local function stack_masked(line)
  return (line:gsub("0x0*7ffffff%x%x%x%x%x%f[^%x]", "STACK"))
end

-- The commands of the held stop, then a handover (break main, continue).
local at_loader = { "starti", "info registers", "p $pc", "p $sp", "p $rax",
                    "info registers rip", "x/4i $pc", "x/8xb $pc",
                    "x/2xg $pc", "x/2xg $rsp", "disassemble", "bt",
                    "info symbol $pc", "info symbol $pc+3",
                    "info symbol $sp", "info symbol 0",
                    "info sharedlibrary", "stepi", "x/i $pc", "bt",
                    "info symbol $pc", "disassemble $pc,+8", "p $rip",
                    "bt 2" }

-- at_loader's commands, then `after`'s.
local function held_then(after)
  local commands = {}
  for _, list in ipairs { at_loader, after } do
    for _, c in ipairs(list) do
      commands[#commands + 1] = c
    end
  end
  return commands
end

local function compared(name, program, commands)
  commands.mask = stack_masked
  local count, g = compare.assert_same(name, commands, program)
  print(string.format("FIGURE starti %s: %d lines, %d mismatches", name, #g,
                      count))
  return count, g
end

describe("starti", function()
  it("stops at the loader's first instruction as gdb, and hands over",
     function()
    local count, g = compared("debug_program",
                              helpers.program("debug_program"),
                              held_then { "break main", "continue", "bt",
                                          "kill" })
    assert.equals(0, count)
    assert.equals("Program stopped.", g[1])
    assert.matches("^0x00007ffff7%x+ in _start %(%) from "
                   .. "/lib64/ld%-linux%-x86%-64%.so%.2$", g[2])
  end)

  it("on a stripped system program (/bin/true)", function()
    local count = compared("/bin/true", "/bin/true", held_then { "continue" })
    assert.equals(0, count)
  end)

  it("on a static program: its own _start, the program ends alone",
     function()
    local count = compared("exit_static", helpers.program("exit_static"), {
      "starti", "info registers rip", "bt", "info sharedlibrary", "x/2i $pc",
      "stepi", "bt", "p $pc", "x/4xw $pc", "continue" })
    assert.equals(0, count)
  end)

  local bzip2 = "build/corpus/bin/gcc-O2/bzip2"
  local present = io.open(bzip2)
  if present then
    present:close()
  end
  ;(present and it or pending)("on a corpus program (bzip2, gcc -O2)",
                               function()
    assert.equals(0, compared("bzip2", bzip2, held_then {
      "break main", "continue", "bt", "kill" }))
  end)

  it("before the program's constructors, which run after the handover",
     function()
    local out = run(helpers.program("constructed"),
                    { "starti", "p $pc", "stepi", "p answer", "continue" })
    assert.matches("^\nProgram stopped%.\n0x%x+ in _start %(%) from "
                   .. "/lib64/ld%-linux%-x86%-64%.so%.2\n%$1 = %(void %(%*%)"
                   .. "%(%)%) 0x%x+ <_start>\n0x%x+ in _start %(%) from ", out)
    assert.matches("\n%$2 = %(int %(%*%)%(void%)%) 0x0\n", out)
    assert.matches("\nanswer 42\n%[Inferior 1 %(process %d+%) exited with "
                   .. "code 04%]\n$", out)
  end)

  -- (gdb 13's own nexti there loses the step's end and lets the program
  -- run to its exit: not compared)
  it("steps over the loader's first call with nexti, then hands over",
     function()
    local out = run(helpers.program("debug_program"),
                    { "starti", "stepi", "nexti", "x/i $pc", "bt 1",
                      "continue" })
    assert.matches("\n0x00007ffff7%x+ in _dl_start_user %(%) from "
                   .. "/lib64/ld%-linux%-x86%-64%.so%.2\n=> 0x7ffff7%x+ "
                   .. "<_dl_start_user>:\t", out)
    assert.matches("\n#0  0x00007ffff7%x+ in _dl_start_user %(%) from ", out)
    assert.matches("\n%[Inferior 1 %(process %d+%) exited with code 03%]\n$",
                   out)
  end)

  it("runs again from the loader's entry in a new process, breakpoints kept",
     function()
    local out = run(helpers.program("debug_program"),
                    { "break scale", "starti", "continue", "starti",
                      "info breakpoints", "continue", "kill" })
    local _, stops = out:gsub("\nProgram stopped%.\n0x%x+ in _start %(%) "
                              .. "from /lib64/ld%-linux%-x86%-64%.so%.2\n", "")
    assert.equals(2, stops)
    assert.matches("\nBreakpoint 1, scale %(p=0x%x+, factor=2%) at "
                   .. "../spec/fixtures/programs/debug_program.c:20\n", out)
    assert.matches("\n1       breakpoint     keep y   0x%x+ in scale at "
                   .. "../spec/fixtures/programs/debug_program.c:20\n",
                   out)
    assert.not_matches("\n%-?%d+ +breakpoint +del", out)
  end)
end)
