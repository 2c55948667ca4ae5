-- debug_list_spec.lua - `list` at the prompt on a program, as gdb 13
-- lists: a function centred on the line of its entry (its "{", as gdb's
-- linespec), LINE and FILE:LINE (a line without code too) centred,
-- FILE:FUNC, FIRST,LAST ranges, `list` going on, `list -` going back
-- from the first line listed, main's file and line before anything ran
-- (with `info line` and `info source` there, on the corpus too),
-- and gdb's errors at either end of the file.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"

local program = helpers.program("debug_program")
local calls = helpers.program("calls")

-- Each command after an echo of it, so that the listings stay apart.
local function marked(commands)
  return dp.echoed(commands, function(_, c) return ">>> " .. c end)
end

local said = { "^>>> ", "^%d+\t", "^Line number %d+ out of range; ",
               "^Already at the start of ", "^Function \".*\" not defined",
               "^No source file named " }

-- stdout and stderr of a run, the lines that list or say an error.
local function listing(out, err)
  return dp.matching(out .. dp.own_errors(err), said)
end

describe("snare debug -- PROG, list", function()
  it("lists the lines gdb lists", function()
    local cases = {
      { program, { "list", "list", "list -", "list -", "list -", "list -",
                   "list -", "list -", "list 58", "list", "list 3",
                   "list 10,12", "list", "list -", "list ,20" } },
      { program, { "list scale", "list", "list -", "list -", "list scale,",
                   "list scale,main", "list add_square", "list worker",
                   "list main", "list debug_program.c:scale",
                   "list debug_program.c:50", "list 20,", "list 70",
                   "list nosuch", "list debug_program.c:nosuch",
                   "list nosuch.c:3" } },
      { program, { "break scale", "run", "list", "list", "list -", "up",
                   "list", "list", "down", "list -", "frame 1", "list -",
                   "list scale", "list -", "list 1,3", "list -", "list 60",
                   "list" } },
      { calls, { "list", "list fib", "list leaf", "list middle", "list -",
                 "list main", "list" } },
    }
    local compared, commands = 0, 0
    for _, case in ipairs(cases) do
      local prog, typed = case[1], marked(case[2])
      local lines = listing(dp.snare_debug(typed, prog))
      assert.same(listing(dp.gdb_batch(typed, prog)), lines)
      compared, commands = compared + #lines, commands + #case[2]
    end
    print(("list vs gdb: %d commands, %d lines compared, 0 mismatches")
          :format(commands, compared))
    assert.is_true(compared >= 300)
  end)

  it("lists around main before the program runs, and says the default "
     .. "line's source and code as gdb (a fixture and the corpus)", function()
    -- before `run` gdb's default line is main's: `list` centres on it and
    -- goes on; a bare `info line` and `info source` answer of it, with
    -- the addresses the file gives (the program is not loaded yet)
    local commands = marked { "info source", "info line", "list", "list",
                              "info line", "info source", "list -",
                              "info line", "list main", "info line",
                              "break main", "info line main" }
    local programs = { program, calls }
    local corpus = "build/corpus/bin/"
    local have_corpus = io.open(corpus .. "gcc-O0/bzip2")
    if have_corpus then
      have_corpus:close()
      for _, build in ipairs { "gcc-O0/bzip2", "gcc-O2/xz", "clang-O2/bzip2",
                               "gcc-O3/xz" } do
        programs[#programs + 1] = corpus .. build
      end
    end
    local compared, bad = 0, 0
    for _, prog in ipairs(programs) do
      local out, err = dp.snare_debug(commands, prog)
      local gdb_out, gdb_err = dp.gdb_batch(commands, prog)
      local mine = dp.matching(out .. dp.own_errors(err), { "" })
      local gdb = dp.matching(gdb_out .. dp.own_errors(gdb_err), { "" })
      bad = bad + helpers.mismatches(prog, mine, gdb)
      compared = compared + #gdb
    end
    print(("list before run vs gdb: %d programs, %d lines compared, %d "
           .. "mismatches"):format(#programs, compared, bad))
    assert.equal(0, bad)
    assert.is_true(compared >= 100)
    if not have_corpus then
      pending("no corpus builds (tools/corpus/build): the fixtures alone")
    end
  end)
end)
