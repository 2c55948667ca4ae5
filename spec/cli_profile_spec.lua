-- cli_profile_spec.lua - `snare profile`, `snare trace` and `snare exec`:
-- on a library function and on whole programs run with the LD_PRELOAD
-- agent (spec/fixtures/programs), in every output format.
local flamegraph = require "snare.flamegraph"
local helpers = require "spec.helpers"

local program = helpers.program

local shell_quote = helpers.quote

-- Runs `bin/snare ARGS`; returns stdout, stderr and the exit status as
-- the shell reports it (128 + N for a death by signal N).
local function snare(args)
  return helpers.run_apart("bin/snare " .. args)
end

-- `snare exec` of a script with this source on the fixture program `name`.
local function exec_on(name, source)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(source)
  f:close()
  local out, err, status = snare("exec " .. script .. " -- " .. program(name))
  os.remove(script)
  return out, err, status
end

-- {key = number} from the captures (key, number) of `pattern` in text.
local function numbers(text, pattern)
  local found = {}
  for key, n in text:gmatch(pattern) do
    found[key] = tonumber(n)
  end
  return found
end

-- The calls column of a profile table: {name = calls}.
local function table_calls(text)
  return numbers(text, "\n(%S+)%s+(%d+)%s+[%d.]+%s+[%d.]+")
end

-- Folded lines as {stack = value}.
local function folded(text)
  return numbers(text, "([^\n]+) (%d+)\n")
end

local function count(text, pattern)
  return select(2, text:gsub(pattern, ""))
end

describe("snare profile -- PROGRAM", function()
  it("reports exact call counts, recursion included, and passes the exit "
     .. "status through", function()
    local out, err, status = snare("profile -- " .. program("calls"))
    assert.equal(3, status)
    assert.equal("total 91\n", out) -- the program's own output
    assert.same({ main = 1, fib = 177, middle = 3, leaf = 12 },
                table_calls(err))
    assert.not_match("\r", err, 1, true) -- no progress line off a terminal
  end)

  it("lists every hooked function's calls, uncalled ones too, with -f "
     .. "counts", function()
    local out, err, status = snare("profile -f counts -- "
                                   .. program("calls"))
    assert.equal(3, status)
    assert.equal("total 91\n", out)
    assert.equal("177 fib\n12 leaf\n1 main\n3 middle\n", err)
    out = snare("profile -f counts " .. helpers.fixture("loops")
                .. ":visit_loop 4")
    assert.match("\n1 visit_loop\n", "\n" .. out, 1, true)
    assert.match("\n4 visit\n", "\n" .. out, 1, true)
    assert.match("\n0 [%w_]+\n", "\n" .. out) -- hooked, never called
  end)

  it("passes the program's arguments", function()
    local out, err = snare("profile -- " .. program("calls") .. " 6")
    assert.equal("total 44\n", out)
    assert.equal(25, table_calls(err).fib)
  end)

  it("writes the report when exit() is called deep inside", function()
    local out, err, status = snare("profile -- " .. program("exit_deep"))
    assert.equal(7, status)
    assert.equal("bottom 5\n", out)
    assert.same({ main = 1, descend = 5, bottom = 1, leaf = 2 },
                table_calls(err))
  end)

  it("counts the time of the frames exit() leaves for good", function()
    local _, err = snare("profile -- " .. program("exit_deep"))
    local inclusive = numbers(err, "\n(%S+)%s+%d+%s+([%d.]+)%s+[%d.]+")
    -- bottom's printf and write are in all three, and in no leaf.
    assert.is_true(inclusive.bottom > 0)
    assert.is_true(inclusive.descend >= inclusive.bottom)
    assert.is_true(inclusive.main >= inclusive.descend)
  end)

  it("reports a crash with the fault's backtrace and dies of the signal",
     function()
    local out, err, status = snare("profile -- " .. program("crash"))
    assert.equal(128 + 11, status)
    assert.equal("before 9\n", out)
    assert.same({ main = 1, outer = 1, inner = 1, before = 2 },
                table_calls(err))
    assert.match("the program got SIGSEGV on thread %d+ at 0x%x+ <inner%+%d+>",
                 err)
    -- Callers through hooked frames, not the hooks' exit stub.
    assert.match("#0 +0x%x+ <inner%+%d+> at crash.c:12", err)
    assert.match("#1 +0x%x+ <outer%+%d+> at crash.c:19", err)
    assert.match("#2 +0x%x+ <main%+%d+> at crash.c:24", err)
  end)

  it("writes the report to a file with -o", function()
    local path = os.tmpname()
    local _, err, status = snare("profile -o " .. path .. " -- "
                                 .. program("calls"))
    assert.equal(3, status)
    assert.equal("", err)
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    os.remove(path)
    assert.equal(177, table_calls(text).fib)
  end)

  local function slurp(path) -- read, then removed
    local text = helpers.read_file(path)
    os.remove(path)
    return text
  end

  it("keeps the program's stderr its own with -o: a fault and its "
     .. "backtrace go into the report", function()
    local path = os.tmpname()
    local out, err, status = snare("profile -o " .. path .. " -- "
                                   .. program("crash"))
    assert.equal(128 + 11, status)
    assert.equal("before 9\n", out)
    assert.equal("", err)
    local text = slurp(path)
    assert.match("^snare: hooked %d+ functions", text)
    assert.match("(incomplete: the program faulted)", text, 1, true)
    assert.match("snare: the program got SIGSEGV on thread %d+ at 0x%x+ "
                 .. "<inner%+%d+>", text)
    assert.match("#1 +0x%x+ <outer%+%d+> at crash.c:19", text)
  end)

  it("puts its notes beside a report that tools read (-f counts -o)",
     function()
    local path = os.tmpname()
    local _, err, status = snare("profile -f counts -o " .. path .. " -- "
                                 .. program("calls"))
    assert.equal(3, status)
    assert.equal("", err)
    assert.equal("177 fib\n12 leaf\n1 main\n3 middle\n", slurp(path))
    assert.match("^snare: hooked %d+ functions: %d+ jump", slurp(path .. ".log"))
  end)

  it("counts only the program's calls of a Lua API it exports, which the "
     .. "agent's own Lua then runs in", function()
    local out, err, status = snare("profile -- " .. program("lua_embedded"))
    assert.equal(0, status)
    assert.equal("100\n", out)
    local calls = table_calls(err)
    assert.equal(100, calls.lua_gettop)
    assert.equal(100, calls.lua_pushinteger)
  end)
end)

describe("snare profile LIB.so:function", function()
  it("calls the function with its arguments and counts every call",
     function()
    local out, err, status = snare("profile " .. helpers.fixture("loops")
                                   .. ":fib 10")
    assert.equal(0, status)
    assert.match("fib returned 55", err)
    assert.equal(177, table_calls(out).fib)
    assert.match("more hooked functions were not called", out)
  end)

  it("traces with folded stacks", function()
    local out = snare("trace -f folded " .. helpers.fixture("loops")
                      .. ":visit_loop 4")
    assert.same({ visit_loop = 1, ["visit_loop;visit"] = 4 }, folded(out))
  end)

  it("refuses unknown functions, formats and targets", function()
    local _, err, status = snare("profile " .. helpers.fixture("loops")
                                 .. ":nope")
    assert.equal(2, status)
    assert.match("no function 'nope'", err)
    _, err, status = snare("profile --format xml -- true")
    assert.equal(2, status)
    assert.match("--format needs one of", err, 1, true)
    _, err, status = snare("trace")
    assert.equal(2, status)
    assert.match("nothing to run", err)
  end)
end)

describe("snare trace -- PROGRAM", function()
  it("prints the indented calls, also those exit() never returned from",
     function()
    local _, err, status = snare("trace -- " .. program("exit_deep"))
    assert.equal(7, status)
    assert.match("%(running%) %[%d+%]         descend%(%)", err)
    assert.match("us %[%d+%]               leaf%(%)", err)
  end)

  it("folds stacks that match the call counts, which the SVG writer "
     .. "draws with one rectangle per frame", function()
    local _, err = snare("trace -f folded -- " .. program("calls") .. " 6")
    local stacks = folded(err)
    local fib = 0
    for stack, n in pairs(stacks) do
      if stack:match("fib$") then
        fib = fib + n
      end
    end
    assert.equal(25, fib)
    assert.equal(1, stacks.main)
    assert.equal(3, stacks["main;middle"])
    assert.equal(12, stacks["main;middle;leaf"])
    assert.equal(8, stacks["main;fib;fib;fib;fib;fib"]) -- fib(6): 1 2 4 8
    -- Frames: every distinct stack prefix, plus the root "all".
    local prefixes = {}
    for stack in pairs(stacks) do
      prefixes[stack] = true
    end
    local frames = 1
    for _ in pairs(prefixes) do
      frames = frames + 1
    end
    local svg = flamegraph.svg(err)
    assert.equal(frames, count(svg, "<rect "))
    assert.match("<title>all %(41 calls, 100.00%%%)</title>", svg)
    assert.match("<title>leaf %(12 calls, 29.27%%%)</title>", svg)
  end)

  it("writes Chrome trace JSON with matched begin and end events",
     function()
    local path = os.tmpname()
    local _, _, status = snare("trace -f chrome -o " .. path .. " -- "
                               .. program("calls") .. " 6")
    assert.equal(3, status)
    -- A real JSON parser reads it; the events come out one a line.
    local pipe = assert(io.popen("python3 -c " .. shell_quote(
      "import json,sys\n"
      .. "for e in json.load(open(sys.argv[1]))['traceEvents']:\n"
      .. "  print(e['ph'], e['tid'], e['name'], e['ts'])") .. " " .. path))
    local lines = pipe:read("a")
    pipe:close()
    os.remove(path)
    local open, begins, last_ts = {}, 0, {}
    for ph, tid, name, ts in lines:gmatch("(%u) (%d+) (%S+) (%S+)\n") do
      local stack = open[tid] or {}
      open[tid] = stack
      ts = tonumber(ts)
      assert.is_true(ts >= (last_ts[tid] or 0))
      last_ts[tid] = ts
      if ph == "B" then
        begins = begins + 1
        stack[#stack + 1] = name
      else
        assert.equal("E", ph)
        assert.equal(table.remove(stack), name)
      end
    end
    assert.equal(1 + 25 + 3 + 12, begins)
    for _, stack in pairs(open) do
      assert.equal(0, #stack)
    end
  end)

  it("writes an SVG flame graph", function()
    local out, _, status = snare("trace -f svg " .. helpers.fixture("loops")
                                 .. ":fib 5")
    assert.equal(0, status)
    assert.match("^<%?xml", out)
    assert.match("<title>fib %(15 calls, 100.00%%%)</title>", out)
    assert.match("</svg>\n$", out)
  end)
end)

describe("the progress line", function()
  -- `script` gives the command a terminal; the programs nap 700 ms, so
  -- the controller's 250 ms waits time out at least twice.
  local function on_a_terminal(args)
    local pipe = assert(io.popen("script -qec " .. shell_quote("bin/snare " .. args)
                                 .. " /dev/null"))
    local out = pipe:read("a")
    pipe:close()
    return out
  end

  it("shows calls so far on stderr when it is a terminal, for a program",
     function()
    local out = on_a_terminal("profile -- " .. program("naps") .. " 700")
    assert.match("\r\27%[K%d+ calls, %d+ s", out)
    assert.match("tick +700 ", out)
  end)

  it("and for a library function", function()
    local out = on_a_terminal("profile " .. helpers.fixture("naps")
                              .. ":nap 700")
    assert.match("\r\27%[K%d+ calls, %d+ s", out)
    assert.match("nap returned 700", out)
    assert.match("tick +700 ", out)
  end)
end)

describe("snare.flamegraph", function()
  it("nests frames, widths proportional to the values", function()
    local root = flamegraph.parse("a;b 3\na;c 1\na 2\n")
    assert.equal(6, root.value)
    assert.equal("a", root.children[1].name)
    assert.equal(6, root.children[1].value)
    assert.same({ "b", "c" }, { root.children[1].children[1].name,
                                root.children[1].children[2].name })
    local svg = flamegraph.svg("a;b 3\na;c 1\na 2\n")
    assert.match('<title>b %(3 calls, 50.00%%%)</title><rect x="10.00" y="%d+" '
                 .. 'width="590.00"', svg)
  end)

  it("clips names to the width, escapes them, colours them by name",
     function()
    local long = string.rep("x", 300)
    local svg = flamegraph.svg(long .. " 1\nshort<&> 1\n")
    assert.not_match(">" .. long .. "<", svg, 1, true) -- in <title> only
    assert.match("xx%.%.</text>", svg)
    assert.match("short&lt;&amp;&gt;", svg)
    local again = flamegraph.svg("short<&> 5\n")
    local fill = svg:match("short&lt;&amp;&gt; %(1[^\n]-fill=\"(rgb[^\"]+)\"")
    assert.is_truthy(fill)
    assert.match(fill, again, 1, true)
  end)

  it("rejects lines that are not folded stacks", function()
    assert.has_error(function() flamegraph.parse("a;b\n") end,
                     "snare.flamegraph: line 1 is not 'stack value': a;b")
  end)
end)

describe("snare exec", function()
  local function exec_source(source)
    return exec_on("calls", source)
  end

  it("runs the user's script in control of the program", function()
    local out, err, status = snare("exec examples/exec_program.lua -- "
                                   .. program("calls") .. " 6")
    assert.equal("", err)
    assert.equal(3, status)
    assert.equal(3, count(out, "stopped in middle, called from main%+%d+\n"))
    assert.match("total 44\nprogram ended: exit\n", out)
    assert.match("leaf arguments: 0 1 2 3 0 1 2 3 0 1 2 3\n", out)
    assert.match("fib calls: 25\n", out)
  end)

  it("fails before the program runs when the script fails", function()
    local out, err, status = exec_source('require "snare.agent"\n'
                                         .. 'error("no way")\n')
    assert.equal(125, status)
    assert.equal("", out)
    assert.match("no way", err)
  end)

  it("lets the program run alone when the script does not call run",
     function()
    local out, _, status =
      exec_source('print("script " .. require("snare.agent").thread)\n')
    assert.equal(3, status)
    assert.match("^script %d+\ntotal 91\n$", out)
  end)

  -- The program's constructors have run when the script starts, as under
  -- gdb's `run`: its main, called on the worker, finds the pointer its
  -- constructor set (before it, main jumped to address 0).
  it("starts the script after the program's initialisers", function()
    local out, err, status = exec_on("constructed", [[
      local agent = require "snare.agent"
      local stop = agent.session:call_main("main", { "constructed" })
      print("call " .. stop.kind .. " " .. tostring(stop.value))
      agent.run()
    ]])
    assert.equal("", err)
    assert.equal(4, status)
    assert.equal("answer 42\ncall exit 4\nanswer 42\n", out)
  end)
end)

describe("snare profile -- a program without symbols", function()
  -- A stripped copy of a fixture program: strip drops .symtab (and an
  -- executable exports nothing in .dynsym) but keeps the unwind table.
  local function stripped(name)
    local copy = os.tmpname()
    assert(os.execute(("strip -o %s %s"):format(copy, program(name))))
    return copy
  end

  it("hooks its functions by their unwind table entries, named "
     .. "sub_<address>", function()
    local path = stripped("calls")
    local out, err, status = snare("profile -- " .. path)
    os.remove(path)
    assert.equal(3, status)
    assert.equal("total 91\n", out)
    local pipe = assert(io.popen("nm " .. program("calls")))
    local symbols = pipe:read("a")
    pipe:close()
    local expected = {}
    for name, calls in pairs { main = 1, fib = 177, middle = 3, leaf = 12 } do
      local hex = symbols:match("0*(%x+) T " .. name .. "\n")
      expected["sub_" .. hex] = calls
    end
    assert.same(expected, table_calls(err))
    assert.match("snare: hooked 4 functions: %d+ jump, %d+ trap\n", err)
  end)

  it("runs with a warning and its own exit status when nothing can be "
     .. "hooked", function()
    local path = stripped("bare")
    local out, err, status = snare("profile -- " .. path)
    os.remove(path)
    assert.equal(7, status)
    assert.equal("", out)
    assert.match("snare: nothing hooked %(no function symbols and no unwind "
                 .. "table%)", err)
  end)

  it("runs a statically linked program, warning that the agent cannot "
     .. "enter it", function()
    local out, err, status = snare("profile -- " .. program("exit_static"))
    assert.equal(9, status)
    assert.equal("static\n", out)
    assert.match("snare: .*exit_static is statically linked: the agent "
                 .. "cannot be preloaded into it, nothing is hooked\n", err)
  end)
end)

describe("the hook summary", function()
  it("counts the functions hooked by a jump, by a trap, and not hooked, "
     .. "by reason", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write [[
      local agent = require "snare.agent"
      local collect = require "snare.collect"
      local first = require("snare").tally { "fib" }
      print(collect.start(agent.functions(), "table"):summary())
      agent.run()
      print(first:report()[1].calls)
    ]]
    f:close()
    local out, _, status = snare("exec " .. script .. " -- " .. program("calls"))
    os.remove(script)
    assert.equal(3, status)
    assert.match("^hooked 3 functions: (%d) jump, (%d) trap; 1 not hooked "
                 .. "%(already exists: 1%)\ntotal 91\n177\n$", out)
  end)
end)

describe("snare on a C++ program", function()
  local function exec_source(source)
    return exec_on("shapes", source)
  end

  it("counts calls under demangled, qualified names", function()
    local out, err, status = exec_source [[
      local agent = require "snare.agent"
      local tally = require("snare").tally(agent.functions())
      agent.run()
      for _, row in ipairs(tally:report()) do
        io.stderr:write(("%s %d\n"):format(row.name, row.calls))
      end
    ]]
    assert.equal(5, status)
    assert.equal("area 15\n", out)
    local calls = numbers(err, "([^\n]+) (%d+)\n")
    assert.equal(2, calls["geo::Square::area"])
    assert.equal(1, calls["geo::Circle::area"])
    assert.equal(3, calls["geo::twice<int>"])
    assert.equal(1, calls["geo::twice<double>"])
    assert.equal(4, calls["geo::detail::checked"])
    assert.equal(1, calls.main)
  end)

  it("finds functions by qualified, mangled and demangled names",
     function()
    local out, _, status = exec_source [[
      local agent = require "snare.agent"
      local snare = require "snare"
      local area = snare.symbol("geo::Square::area")
      print(area == snare.symbol("_ZNK3geo6Square4areaEv"),
            area == snare.symbol("geo::Square::area() const"),
            agent.program:function_info("geo::Square::area").entry == area,
            agent.program:function_info("_ZNK3geo6Square4areaEv") ~= nil)
      local stops = 0
      agent.session:breakpoint("geo::detail::checked")
      agent.run { event = function() stops = stops + 1 end }
      print("stops " .. stops)
    ]]
    assert.equal(5, status)
    assert.equal("true\ttrue\ttrue\ttrue\narea 15\nstops 4\n", out)
  end)
end)
