-- debug_program_gdb_habits_spec.lua - `snare debug -- PROG` against gdb
-- -batch on the same program, the commands typed by habit: stops inside
-- the dynamic loader, info symbol, info line, clear, convenience
-- variables, every x format, the narrow register names, gdb's regexps,
-- conditions' types, names two objects define, quoted names and
-- SCOPE::NAME, string literals in the
-- program's memory, set and show
-- disable-randomization. Each case counts
-- the lines that differ (addresses, pids and gdb's thread_db lines taken
-- out) and prints the count.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

-- `text`'s lines, with what differs between two runs of the same program
-- taken out: addresses, in hex or as long decimal numbers (gdb runs it
-- without address randomisation), the process id, gdb's libthread_db
-- lines.
local function normalised(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do
    if not line:match("^%[Thread debugging using") and
       not line:match("^Using host libthread_db") then
      lines[#lines + 1] = (line:gsub("0x%x+", "0x")
        :gsub("%d%d%d%d%d%d%d%d%d%d%d+", "N"):gsub("process %d+", "process N"))
    end
  end
  return lines
end

-- The lines of `mine` and `theirs` that differ, each written out; and
-- the number of gdb's lines.
local function differing(mine, theirs)
  local count = 0
  for i = 1, math.max(#mine, #theirs) do
    if mine[i] ~= theirs[i] then
      count = count + 1
      io.stderr:write(("  %d: snare %q\n     gdb   %q\n"):format(
        i, mine[i] or "(none)", theirs[i] or "(none)"))
    end
  end
  return count, #theirs
end

-- Runs `commands` under both; prints the differing lines (of stdout,
-- then of stderr) and their count, which it returns.
local function mismatches(what, commands, prog, ...)
  local out, err = dp.snare_debug(commands, prog, ...)
  local gdb_out, gdb_err = dp.gdb_batch(commands, prog, ...)
  local count, lines = differing(normalised(out), normalised(gdb_out))
  local err_count, err_lines = differing(normalised(dp.own_errors(err)),
                                         normalised(dp.own_errors(gdb_err)))
  io.stderr:write(("gdb habits (%s): %d lines, %d mismatches\n"):format(
    what, lines + err_lines, count + err_count))
  return count + err_count
end

describe("snare debug -- PROG as gdb 13", function()
  it("stops in the dynamic loader with its frames named", function()
    -- lazy binding of printf and fflush goes through _dl_fixup; the
    -- loader is the one the program runs, not a second copy of it
    local commands = { "break main", "run", "break _dl_fixup", "continue",
                       "bt", "info frame", "finish", "continue", "bt", "up",
                       "info frame", "info sharedlibrary" }
    assert.equal(0, mismatches("loader", commands))
    local out = dp.snare_debug(commands)
    assert.matches("\n#1  0x%x+ in _dl_runtime_resolve_%w+ %(%) at ", out)
    assert.not_matches("%?%? %(%)", out)
  end)

  it("examines memory in every x format and unit size", function()
    -- units of the string "corner" and of the globals: data that is the
    -- same in both runs (the stack is not); instructions where nothing is
    -- mapped (gdb prints the address first); bt N in batch mode (no
    -- "(More stack frames follow...)")
    local commands = { "break scale", "run" }
    for _, x in ipairs {
      "x/4xb p->name", "x/2xh p->name", "x/2xw p->name", "x/2xg p->name",
      "x/2dw p->name", "x/2uw p->name", "x/2ow p->name", "x/2tw p->name",
      "x/2ag &total", "x/4cb p->name", "x/2fg p->name", "x/2fw p->name",
      "x/s p->name", "x/3dh p->name", "x/2tb p->name", "x/3ub p->name",
      "x/3c p->name", "x/2x p->name", "x/f p->name", "x/2a p->name",
      "x/x p->name", "x/3o p->name", "x/2t p->name", "x/2d p->name",
      "x/2z p->name", "x/2zw p->name", "x/2xg &total", "x/a scale",
      "x/2ob p->name", "x/2f &total", "x/2c &total", "x/3dg &total",
      "x/2ug -1", "x/2q p->name", "x/2i 0", "x/i 16", "bt 1", "bt -1" } do
      commands[#commands + 1] = x
    end
    assert.equal(0, mismatches("x", commands))
  end)

  it("reads the 8, 16 and 32-bit parts of the registers", function()
    local commands = { "break scale", "run", "set $rax = 0x1122334455667788",
                       "set $r9 = -2", "set $rbx = 0x8081828384858687" }
    for _, name in ipairs { "eax", "ax", "al", "ah", "r9d", "r9w", "r9l",
                            "ebx", "bx", "bl", "bh", "esi", "si", "sil",
                            "r8l" } do
      commands[#commands + 1] = "p $" .. name
    end
    for _, c in ipairs { "whatis $al", "whatis $ax", "whatis $eax",
                         "p/x $ax", "p $al + 1", "p/t $bh", "p $sp == $rsp",
                         "p $eip" } do
      commands[#commands + 1] = c
    end
    assert.equal(0, mismatches("registers", commands))
  end)

  it("answers info symbol and info line", function()
    local commands = {
      "info line scale", "info line debug_program.c:20", "info symbol scale",
      "info symbol &total", "break scale", "run", "info line *($pc+2)",
      "info line main", "info line debug_program.c:51",
      "info line debug_program.c:23", "info line *$pc", "info symbol printf",
      "info symbol p->name", "info symbol &lock", "info symbol $sp",
      "info symbol", "info symbol nosuch", "info symbol scale+94",
      "info symbol (char*)scale+93", "info symbol main+1", "info symbol $pc",
      "info line *0", "info line nosuch", "info line debug_program.c:19",
      "info line debug_program.c:44", "info line debug_program.c:5",
      "info line debug_program.c:999", "info line debug_program.c:24",
      "info line debug_program.c:25", "info line nosuch.c:3", "info line 20",
      "info line 1", "info line 0", "info line 999", "info line 42" }
    assert.equal(0, mismatches("info symbol, info line", commands))
  end)

  it("clears breakpoints, numbers them in $bpnum, ignores and kills in "
     .. "gdb's words", function()
    local commands = {
      "p $bpnum", "break scale", "clear scale", "break scale", "break main",
      "ignore 3 1", "ignore 3 0", "ignore 9 1", "ignore 3", "ignore x 1",
      "p $bpnum", "run", "clear main", "clear debug_program.c:20",
      "clear debug_program.c:20", "clear scale", "p $bpnum", "break scale",
      "break scale", "tbreak scale", "clear", "clear", "info breakpoints",
      "kill", "kill", "clear nosuch" }
    assert.equal(0, mismatches("clear, $bpnum, ignore, kill", commands))
  end)

  it("refuses a condition's unknown type when it is given, an unknown "
     .. "member at the hit", function()
    local commands = {
      "break scale if (struct nosuch *)p", "break scale if p->nosuch",
      "break scale if sizeof(union nu) > 1", "break scale if (enum ne)factor",
      "break scale if (struct point *)p != 0",
      "condition 1 (struct nosuch *)p", "info breakpoints", "run" }
    assert.equal(0, mismatches("condition types", commands))
  end)

  it("reads regexps as gdb's POSIX basic ones and filters info locals and "
     .. "info args by type", function()
    if not dp.stack_as_gdb() then
      pending("uninitialised locals under ASan (dp.stack_as_gdb)")
      return
    end
    local commands = {
      "break scale", "run", "info locals -t int", "info locals -t ^double$",
      "info args -t struct", "info args -t int fac", "info locals -q -t zz",
      "info locals -t", "info locals s.m|rat", "info locals ^(sum|ratio)$",
      "info locals su+", "info locals [[:alpha:]]um", "info locals \\(",
      "info locals su\\+", "info locals sum\\|rat", "info locals ^r.*o$",
      "info locals a{1}", "info locals m?$", "rbreak \\(",
      "info sharedlibrary \\(", "info args \\(",
      "info sharedlibrary libc\\|ld-", "info args -q -t char",
      "info args -t point p", "info args -t point f",
      "rbreak ^scale\\|^add_sq", "rbreak ^main$\\|^work",
      "info breakpoints" }
    assert.equal(0, mismatches("regexps", commands))
  end)

  it("takes a name defined by the program and its library from the "
     .. "selected frame's file where gdb does", function()
    -- stopped in the library: its own twin_function (a call returns 2),
    -- but the program's twin, the one the library's code reads
    local commands = {
      "break twin_lib_read", "run", "p twin", "p twin_function",
      "p twin_function()", "p &twin_function", "p twin_name", "up",
      "p twin_function", "p twin_function()", "p twin",
      "info symbol twin_function", "down", "p *twin_function",
      "whatis twin_function", "finish" }
    local prog = helpers.program("twin_globals")
    local compared = commands
    if helpers.gdb_call_failure() then -- the calls are snare's alone here
      compared = helpers.without(commands, { "p twin_function()" })
    end
    assert.equal(0, mismatches("names of two objects", compared, prog))
    assert.matches("\n%$3 = 2\n", (dp.snare_debug(commands, prog)))
  end)

  it("keeps the last run's end in $_exitcode and $_exitsignal", function()
    local exits = { "p $_exitcode", "run", "p $_exitcode", "p $_exitsignal",
                    "p $_exitcode * 2", "run", "p $_exitcode" }
    assert.equal(0, mismatches("$_exitcode", exits,
                               helpers.program("exit_deep")))
    local faults = { "p $_exitsignal", "run", "continue", "p $_exitcode",
                     "p $_exitsignal", "run", "continue", "p $_exitsignal" }
    assert.equal(0, mismatches("$_exitsignal", faults,
                               helpers.program("crash")))
  end)

  it("lists functions as gdb's info functions", function()
    local commands = {
      "info functions", "info functions ^[sam]", "info functions zzz",
      "info functions -q ^sc", "info functions \\(",
      "info functions _\\(start\\|init\\)", "break main", "run",
      "info functions ^scale$\\|^add_square$\\|^worker$" }
    assert.equal(0, mismatches("info functions", commands))
  end)

  it("names the unknown name read before a syntax error, as gdb's parser",
     function()
    local commands = { "break scale", "run" }
    for _, text in ipairs {
      "(nosuch_t)p", "(nosuch_t) 1 + zz", "zz zz", "sum sum", "p->x q",
      "(int)nosuch", "1 +", "nosuch +", "factor nosuch", "sizeof(nosuch_t)",
      "p->zz zz", '"zz" zz', "0x1f zz", "$rax zz", "(struct nosuch *)p zz",
      "'a' b", "(struct point *)p zz", "(enum ne)1 +" } do
      commands[#commands + 1] = "p " .. text
    end
    commands[#commands + 1] = "break scale if (nosuch_t)p"
    assert.equal(0, mismatches("names before syntax errors", commands))
  end)

  it("sets $bpnum for watchpoints and $_, $__ after x as gdb", function()
    local commands = {
      "break main", "run", "watch total", "p $bpnum", "rwatch total",
      "p $bpnum", "tbreak scale", "p $bpnum", "rbreak ^add_sq", "p $bpnum",
      "x/xb &total", "p $_", "p $__", "x/xh &total", "p $_", "x/xg &total",
      "p $_", "x/c &total", "p $_", "p $__", "x/a &total", "p $_", "p $__",
      "x/f &total", "p $_", "p $__", "x/2dw &total", "p $_", "whatis $__",
      -- (p.name once main set it: before, it is whatever the stack held)
      "next", "x/2s p.name", "p $_", "whatis $_", "whatis $__" }
    assert.equal(0, mismatches("$bpnum, $_ and $__", commands))
  end)

  it("takes quoted names and SCOPE::NAME as gdb 13 does", function()
    if not dp.stack_as_gdb() then
      pending("uninitialised locals under ASan (dp.stack_as_gdb)")
      return
    end
    -- two functions' statics of one name, read with no frame; a local
    -- through the innermost frame running its function
    local statics = {
      "p 'ab'", "p ''", "p 'abc'", "p 'a'", "p '\\n'", "p 'first'::pair",
      "p 'second'::pair", "p first::pair", "p 'static_locals.c'::counter",
      "p 'static_locals.c'::pair", "p 'static_locals.c'::main",
      "p 'nosuch'::x", "p 'first'::nosuch", "p main::a", "p 'main'::a",
      "p &'first'", "p 'first'", "p *'first'", "p 'first'::pair + 1",
      "p sizeof('first'::pair)", "whatis 'first'::pair",
      "p 'static_locals.c'::first", "p first::counter", "break 'first",
      "info line 'first", "list 'first", "info line 'first'", "list 'first'",
      "break 'nosuch'", "info line 'static_locals.c':20",
      "list 'static_locals.c':5,6", "tbreak 'second'",
      "break 'static_locals.c':20", "info breakpoints", "run",
      "p 'main'::a", "p main::a", "p first::pair", "p 'first'::a",
      "p second::pair", "p ::counter", "p 'static_locals.c'::a", "continue",
      "p 'main'::b", "p 'second'::pair", "p 'first'::pair", "bt",
      "until 'static_locals.c':21", "info line 'main'" }
    local names = {
      "break 'printf@plt'", "info line 'scale'", "p &'scale'",
      "p 'debug_program.c'::total", "p 'scale'::sum",
      "break 'debug_program.c':20", "break 'add_square'", "run",
      "p 'scale'::sum", "p scale::factor", "p 'scale'::p->name",
      "p 'debug_program.c'::lock.__size[0]", "continue", "p 'main'::first",
      "p 'scale'::sum", "p 'add_square'::squared", "p 'worker'::arg",
      "p 'debug_program.c'::nosuch", "p 'nosuch.c'::total",
      "info breakpoints" }
    assert.equal(0, mismatches("quoted names, statics", statics,
                               helpers.program("static_locals"))
                    + mismatches("quoted names, frames", names))
  end)

  it("places string literals in the program's memory where an address is "
     .. "needed, as gdb", function()
    -- before `run` gdb has no process to place them in, nor to call in
    -- (a call snare made there crashed the parked program)
    local commands = { 'p "literal"', 'p sizeof("ab")', 'x/s "literal"',
                       'x/2c "ab"', 'p &"ab"', 'p (char *)"ab"',
                       "p scale(0, 2)", "call scale(0, 1)", "break scale",
                       "run", 'p "literal"', 'p sizeof("ab")', 'p "ab"[1]',
                       'output "ab"', 'p/x "ab"', 'whatis "ab"', 'ptype "ab"',
                       'p sizeof "abc"', 'p "a" "b"' }
    -- where the literal gets an address: a block of the program's malloc
    -- (gdb calls it; gdb 13.1 cannot call on a CPU with AMX state)
    local placing = { { 'x/s "literal"', '^0x%x+:\t"literal"$' },
                      { 'x/2c "ab"', "^0x%x+:\t97 'a'\t98 'b'$" },
                      { 'p &"ab"', "^%$%d+ = %(char %(%*%)%[3%]%) 0x%x+$" },
                      { 'p (char *)"ab"', '^%$%d+ = 0x%x+ "ab"$' },
                      { 'x/s "ab" + 1', '^0x%x+:\t"b"$' },
                      { 'p *&"ab"', '^%$%d+ = "ab"$' },
                      { 'p "ab" == "ab"', "^%$%d+ = 0$" },
                      { 'x/2xb "ab"', "^0x%x+:\t0x61\t0x62$" },
                      { 'p *"ab"', "^%$%d+ = 97 'a'$" } }
    local compared = {}
    for _, c in ipairs(commands) do
      compared[#compared + 1] = c
    end
    local only_snare = { "break scale", "run" }
    for _, p in ipairs(placing) do
      local list = helpers.gdb_call_failure() and only_snare or compared
      list[#list + 1] = p[1]
    end
    if helpers.gdb_call_failure() then
      io.stderr:write(("gdb habits (string literals): %d commands left to "
                       .. "snare alone: %s\n"):format(#placing,
                                                      helpers.gdb_call_failure()))
    end
    assert.equal(0, mismatches("string literals", compared))
    local out = dp.snare_debug(only_snare)
    local lines = {}
    for line in out:gmatch("[^\n]+") do
      lines[#lines + 1] = line
    end
    for i, p in ipairs(helpers.gdb_call_failure() and placing or {}) do
      assert.matches(p[2], lines[#lines - #placing + i], nil, false)
    end
  end)

  it("sets and shows disable-randomization in gdb's words", function()
    local commands = { "show disable-randomization" }
    for _, word in ipairs { "off", "", "no", "1", "foo", "o", "of", "e",
                            "on x", "dis", "y", "0", "ena", "disable" } do
      commands[#commands + 1] = "set disable-randomization " .. word
      commands[#commands + 1] = "show disable-randomization"
    end
    for _, c in ipairs { "show disable-randomization x", "run",
                         "show disable-randomization" } do
      commands[#commands + 1] = c
    end
    -- (a program without threads: gdb names each one it sees start)
    assert.equal(0, mismatches("disable-randomization", commands,
                               helpers.program("exit_deep")))
  end)

  it("takes a bare info line as the line after the last shown, as gdb",
     function()
    local commands = {
      "break scale", "run", "info line", "info line", "info line",
      "list 30,31", "info line", "info line", "up", "info line",
      "info line debug_program.c:40", "info line", "info line *$pc",
      "info line", "down", "info line" }
    assert.equal(0, mismatches("bare info line", commands))
  end)
end)

