-- debug_program_messages_spec.lua - what `snare debug -- PROG` says to
-- bad input at its prompt is what gdb 13 says to it: each case is an
-- input and gdb's message for it, before `run` or stopped in scale
-- (debug_program.c). Where gdb is installed, its own answers are checked
-- against the same list, so that the list stays gdb's.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

-- { input, gdb's message } before `run` (the program parked before main)
local before_run = {
  { "bt", "No stack." },
  { "frame", "No stack." },
  { "frame 1", "No registers." },
  { "frame level 1", "No registers." },
  { "up", "No stack." },
  { "info frame", "No stack." },
  { "info registers", "The program has no registers now." },
  { "info all-registers", "The program has no registers now." },
  { "finish", "The program is not being run." },
  { "until 0", "The program is not being run." },
  { "tbreak", "No default breakpoint address now." },
  { "p nosuchvar", 'No symbol "nosuchvar" in current context.' },
  { "call nosuch()", 'No symbol "nosuch" in current context.' },
  { "break nosuch.c:1", "No source file named nosuch.c." },
  { "break nosuchfunc", 'Function "nosuchfunc" not defined.' },
  { "break debug_program.c:0", 'No line 0 in file "debug_program.c".' },
  { "break debug_program.c:9999",
    'No line 9999 in file "debug_program.c".' },
  -- a line without code: the next line with code (a comment and blank
  -- lines before the first function, a declaration in one, a blank line
  -- between two)
  { "break debug_program.c:1", "debug_program.c, line 20." },
  { "break debug_program.c:25", "debug_program.c, line 30." },
  { "tbreak debug_program.c:50", "debug_program.c, line 51." },
  -- a condition is checked where it is set
  { "break scale if nosuch", 'No symbol "nosuch" in current context.' },
  { "tbreak main if sum", 'No symbol "sum" in current context.' },
  { "watch total if nosuch", 'No symbol "nosuch" in current context.' },
  -- list's gdb forms: list - before the lines listed last, list + and
  -- list alone after them, list FUNCTION around its first line of code
  { "list scale", "14\t\n15\tstatic int total;" },
  { "list +", "24\t}\n25\t\n26\tstatic pthread_barrier_t started;" },
  { "list -", "14\t\n15\tstatic int total;" },
  { "list -", "4\t   stop at a breakpoint" },
  { "list -", "1\t/* debug_program.c" },
  { "list -", "Already at the start of " },
  { "list ,", "Two empty args do not say what lines to list." },
  { "list debug_program.c:27", "22\t  total += sum;" },
  { "info threads", "No threads." },
  { "thread", "No thread selected" },
  { "thread 2", "Unknown thread 2." },
  { "thread 0", "Invalid thread ID: 0" },
  { "file /nonexistent", "/nonexistent: No such file or directory." },
}

-- stopped at the breakpoint in scale (line 20); the history is empty at
-- first
local stopped = {
  { "print", "The history is empty." },
  { "p $", "The history is empty." },
  { "p $$2", "History does not go back to $$2." },
  { "whatis", "The history is empty." },
  { "ptype", "The history is empty." },
  { "p nosuchvar", 'No symbol "nosuchvar" in current context.' },
  { "p 1 +", "A syntax error in expression, near `'." },
  { "p 08", 'Invalid number "08".' },
  { 'p "abc', "Unterminated string in expression." },
  { "p 'a", "Unmatched single quote." },
  { "p *0", "Cannot access memory at address 0x0" },
  { "p *factor", "Cannot access memory at address 0x2" },
  { "p factor.x",
    "Attempt to extract a component of a value that is not a structure." },
  { "p factor->x", "Attempt to extract a component of a value that is not "
                   .. "a structure pointer." },
  { "p p->nosuch", "There is no member named nosuch." },
  { "p sum@0", "Invalid number 0 of repetitions." },
  { "p *p@100000000",
    "value requires 1600000000 bytes, which is more than max-value-size" },
  { "p p + p", "Argument to arithmetic operation not a number or boolean." },
  { "info all-registers nosuch", "Invalid register `nosuch'" },
  { "p scale(1)", "Too few arguments in function call." },
  { "p scale(nosuch)", 'No symbol "nosuch" in current context.' },
  { "set var nosuch = 1", 'No symbol "nosuch" in current context.' },
  { "set var 1 = 2", "Left operand of assignment is not an lvalue." },
  { "set var", "Argument required (expression to compute)." },
  { "frame 99", "No frame at level 99." },
  { "down", "Bottom (innermost) frame selected; you cannot go down." },
  { "bt abc", 'No symbol "abc" in current context.' },
  { "up abc", 'No symbol "abc" in current context.' },
  { "frame abc", 'No symbol "abc" in current context.' },
  { "frame 1 2", "A syntax error in expression, near `2'." },
  { "frame level", "Argument required (expression to compute)." },
  { "frame level 9", "No frame at level 9." },
  { "frame function", "Missing function name argument" },
  { "frame function nosuch", 'Function "nosuch" not defined.' },
  { "frame function add_square", 'No frame for function "add_square".' },
  { "x/i 0", "Cannot access memory at address 0x0" },
  { "call nosuch()", 'No symbol "nosuch" in current context.' },
  { "break nosuch.c:1", "No source file named nosuch.c." },
  { "tbreak nosuch.c:1", "No source file named nosuch.c." },
  { "break 0", "No line 0 in the current file." },
  { "break 9999", "No line 9999 in the current file." },
  { "break 36", "debug_program.c, line 39." },
  { "until 61", "No line 61 in the current file." },
  { "until 0", "No line 0 in the current file." },
  { "until 9999", "No line 9999 in the current file." },
  { "advance 9999", "No line 9999 in the current file." },
  { "until nosuch", 'Function "nosuch" not defined.' },
  { "advance nosuch", 'Function "nosuch" not defined.' },
  { "until *0", "Cannot insert breakpoint 0.\nCannot access memory at "
                .. "address 0x0\nCommand aborted." },
  { "advance *0", "Cannot insert breakpoint 0.\nCannot access memory at "
                  .. "address 0x0\nCommand aborted." },
  { "list 99999", "Line number 99994 out of range; " },
  { "finish 1", 'The "finish" command does not take any arguments.' },
  { "thread 2", "Unknown thread 2." },
  { "thread 0", "Invalid thread ID: 0" },
  { "thread apply", "Please specify a thread ID list" },
  { "display nosuch", 'No symbol "nosuch" in current context.' },
  { "display/i", "Argument required (expression to compute)." },
  { "undisplay 9", "No display number 9." },
  { "info display", "There are no auto-display expressions now." },
  { "show nosuch", 'Undefined show command: "nosuch".  Try "help show".' },
  { "delete 99", "No breakpoint number 99." },
  { "delete 5-6", "No breakpoint number 5.\nNo breakpoint number 6." },
  { "delete 3-1", "inverted range" },
  { "delete 1-", "inverted range" },
  { "disable abc", "Bad breakpoint number 'abc'" },
  { "condition 99 x", "No breakpoint number 99." },
  -- a condition names what is in scope at the breakpoint (scale's sum,
  -- not main's i, which is in a block main's breakpoint is not in);
  -- condition N of an unknown name keeps the old condition
  { "break main if i", 'No symbol "i" in current context.' },
  { "break add_square if sum", 'No symbol "sum" in current context.' },
  { "break debug_program.c:56 if i == 1", "debug_program.c, line 56." },
  { "condition 1 sum > 1 && factor == 2" },
  { "condition 1 nosuch", 'No symbol "nosuch" in current context.' },
  { "info breakpoints", "\tstop only if sum > 1 && factor == 2" },
  { "watch total if sum > 0 && bad", 'No symbol "bad" in current context.' },
  { "condition abc", "Bad breakpoint argument: 'abc'" },
  { "ignore abc 1", "bad breakpoint number: 'abc 1'" },
  -- a type is looked up when the condition is given, a member at a hit
  { "break scale if (struct nosuch *)p", "No struct type named nosuch." },
  { "break scale if sizeof(union nosuch) > 1",
    "No union type named nosuch." },
  { "info symbol", "Argument required (address)." },
  { "info symbol nosuch", 'No symbol "nosuch" in current context.' },
  { "info line nosuch", 'Function "nosuch" not defined.' },
  { "clear nosuch", 'Function "nosuch" not defined.' },
  { "clear debug_program.c:30", "No breakpoint at debug_program.c:30." },
  { "x/2q p", 'Undefined output format "q".' },
  { "info nosuch", 'Undefined info command: "nosuch".  Try "help info".' },
  { "nosuchcommand", 'Undefined command: "nosuchcommand".  Try "help".' },
  { "frame 1" }, -- (main's frame: shown, nothing to compare)
  { "finish", '"finish" not meaningful in the outermost frame.' },
}

-- scale's locals before its first line, as gdb shows them: what the
-- stack held (not comparable under ASan, dp.stack_as_gdb)
if dp.stack_as_gdb() then
  stopped[#stopped + 1] = { "bt full 1", "        sum = 0\n        ratio = 0" }
end

-- The output lines (stdout and stderr in order) of each case's input
-- after `setup`, joined, by case; `words(commands)`: the debugger's.
local function answers(words, setup, cases)
  local commands = {}
  for _, c in ipairs(setup) do
    commands[#commands + 1] = c
  end
  for i, case in ipairs(cases) do -- each after the marker of its index
    commands[#commands + 1] = "echo @@@ " .. i .. "\\n"
    commands[#commands + 1] = case[1]
  end
  local quoted = {}
  for i, w in ipairs(words(commands)) do
    quoted[i] = helpers.quote(w)
  end
  local sections = helpers.sections(helpers.run(
    "timeout 120 " .. table.concat(quoted, " ") .. " </dev/null"))
  local parts = {}
  for i = 1, #cases do
    parts[i] = table.concat(sections[i] or {}, "\n")
  end
  return parts
end

-- The cases whose output lacks their message: "input: output".
local function missing(parts, cases)
  local bad = {}
  for i, case in ipairs(cases) do
    if case[2] and not parts[i]:find(case[2], 1, true) then
      bad[#bad + 1] = case[1] .. ": " .. parts[i]
    end
  end
  return bad
end

local setups = {
  { "before run", {}, before_run },
  { "stopped in scale", { "break scale", "run" }, stopped },
}

describe("snare debug -- PROG says to bad input what gdb 13 says", function()
  for _, s in ipairs(setups) do
    local name, setup, cases = s[1], s[2], s[3]
    it(name, function()
      local bad = missing(answers(dp.snare_debug_words, setup, cases), cases)
      print(string.format("bad input %s: %d cases, %d unlike gdb's", name,
                          #cases, #bad))
      assert.same({}, bad)
    end)
    it(name .. ": the list is gdb's", function()
      if not os.execute("command -v gdb > /dev/null 2>&1") then
        pending("gdb is not installed")
        return
      end
      assert.same({}, missing(answers(dp.gdb_words, setup, cases), cases))
    end)
  end
end)
