-- record_spec.lua - `snare record` of whole programs (the fixture
-- programs), then `snare report`, `replay`, `graph` and `dump` of the
-- recording: counts, nesting, threads with their OS ids, a fork's child,
-- lossless and dropping buffers, filters, and the dump formats.
local helpers = require "spec.helpers"
local rec = require "spec.record_helpers"
local pprof = require "snare.recording.pprof"

local program = helpers.program

local snare, counts, replay_lines = rec.snare, rec.counts, rec.replay_lines

local function fresh_dir()
  local dir = os.tmpname()
  os.remove(dir)
  return dir
end

local function remove(dir)
  os.execute("rm -rf '" .. dir .. "' '" .. dir .. ".old'")
end

-- task.txt as a list of {tid, pid, lost, name}.
local function tasks(dir)
  local list = {}
  for tid, pid, lost, name in helpers.read_file(dir .. "/task.txt")
      :gmatch("(%d+) (%d+) %S+ %d+ (%d+) %d+ ([^\n]*)\n") do
    list[#list + 1] = { tid = tonumber(tid), pid = tonumber(pid),
                        lost = tonumber(lost), name = name }
  end
  return list
end

describe("snare record", function()
  local dir
  before_each(function()
    dir = fresh_dir()
  end)
  after_each(function()
    remove(dir)
  end)

  it("records every call; report counts them; the program's output and "
     .. "status are its own", function()
    local out, err, status = snare("record -d " .. dir .. " -- "
                                   .. program("calls") .. " 10")
    assert.equal("total 91\n", out)
    assert.equal("", err)
    assert.equal(3, status)
    assert.same({ main = 1, fib = 177, middle = 3, leaf = 12 }, counts(dir))
    local info = helpers.read_file(dir .. "/info.txt")
    assert.truthy(info:find("\nlost 0\n"))
    assert.truthy(helpers.read_file(dir .. "/symbols.txt"):find(" fib\n"))
    assert.truthy(helpers.read_file(dir .. "/maps.txt"):find("calls"))
    assert.truthy(helpers.read_file(dir .. "/buildids.txt"):find("%x+ /"))
  end)

  it("replays nested calls as uftrace does", function()
    snare("record -d " .. dir .. " -- " .. program("calls") .. " 2")
    assert.same({
      "main() {", "  fib() {", "    fib();", "    fib();", "  } /* fib */",
      "  middle() {", "    leaf();", "    leaf();", "    leaf();", "    leaf();",
      "  } /* middle */",
      "  middle() {", "    leaf();", "    leaf();", "    leaf();", "    leaf();",
      "  } /* middle */",
      "  middle() {", "    leaf();", "    leaf();", "    leaf();", "    leaf();",
      "  } /* middle */",
      "} /* main */",
    }, replay_lines(dir))
    local out = snare("replay -d " .. dir)
    assert.truthy(out:match("\n +%d+%.%d%d%d [um]s %[ *%d+%] |     fib%(%);\n"))
  end)

  it("filters by function (-F, -N, globs, regexes), depth and thread",
     function()
    snare("record -d " .. dir .. " -- " .. program("calls") .. " 3")
    assert.same({ middle = 3, leaf = 12 }, counts(dir, "-F middle"))
    assert.same({ main = 1, fib = 5 }, counts(dir, "-N middle"))
    assert.same({ main = 1, fib = 1, middle = 3 }, counts(dir, "-D 2"))
    assert.same({ middle = 3, leaf = 12 }, counts(dir, "-F 'mid*'"))
    assert.same({ fib = 5 }, counts(dir, "-F '^fi.$'"))
    assert.same({ main = 1, fib = 5, middle = 3, leaf = 12 },
                counts(dir, "-F '@calls'"))
    assert.same({}, counts(dir, "--tid 1"))
    assert.same({ "middle() {", "  leaf();", "  leaf();", "  leaf();",
                  "  leaf();", "} /* middle */" },
                { table.unpack(replay_lines(dir, "-F middle"), 1, 6) })
    -- Triggers: from middle's first entry on, up to its first return.
    assert.same({ middle = 3, leaf = 12 }, counts(dir, "-T middle@trace_on"))
    assert.same({ main = 1 }, counts(dir, "-T fib@trace_off"))
    assert.same({ "middle() {", "  leaf();", "  leaf();", "  leaf();",
                  "  leaf();", "} /* middle */" },
                { table.unpack(replay_lines(dir, "-T middle@trace_on,finish")) })
    -- A time range keeps the calls entered in it.
    assert.same({ main = 1, fib = 5, middle = 3, leaf = 12 },
                counts(dir, "-r 0~"))
    assert.same({}, counts(dir, "-r 1000s~"))
    local _, err, status = snare("replay -d " .. dir .. " -F 'a|b'")
    assert.equal(2, status)
    assert.truthy(err:find("alternation"))
  end)

  it("records every thread under its OS tid and name", function()
    local _, _, status = snare("record -d " .. dir .. " -- "
                               .. program("lifecycle") .. " threads")
    assert.equal(0, status)
    local list, tids = tasks(dir), {}
    assert.equal(65, #list) -- main and 64 threads
    for _, t in ipairs(list) do
      assert.is_nil(tids[t.tid])
      tids[t.tid] = true
      assert.equal(list[1].pid, t.pid)
      assert.equal("lifecycle", t.name)
    end
    assert.equal(640, counts(dir).work)
    local report = snare("report --threads -d " .. dir)
    assert.equal(65, select(2, report:gsub("\n +%d+ +[%d.]+ +[um]?s", "")))
  end)

  it("follows a fork: the child's calls are its own stream", function()
    local out, _, status = snare("record -d " .. dir .. " -- "
                                 .. program("lifecycle") .. " fork-exit")
    assert.equal(4, status)
    assert.truthy(out:find("child 16\n"))
    local list = tasks(dir)
    assert.equal(2, #list)
    assert.are_not.equal(list[1].pid, list[2].pid)
    assert.equal(3, counts(dir).work) -- 2 in the child, 1 in the parent
    for _, t in ipairs(list) do
      assert.equal(t.pid, t.tid) -- each process's main thread
    end
  end)

  it("loses nothing in --lossless, however small its buffers", function()
    snare("record --lossless --buffer-size 4K -d " .. dir .. " -- "
          .. program("calls") .. " 22")
    assert.equal(57313, counts(dir).fib)
    assert.equal(0, tasks(dir)[1].lost)
  end)

  it("counts and tells what --drop lost", function()
    local _, err = snare("record --drop --buffer-size 4K -d " .. dir .. " -- "
                         .. program("calls") .. " 25")
    local lost = tasks(dir)[1].lost
    assert.is_true(lost > 0)
    assert.truthy(err:find(lost .. " events lost", 1, true))
    assert.truthy(helpers.read_file(dir .. "/info.txt"):find("\nlost " .. lost
                                                             .. "\n"))
    local report = snare("report -d " .. dir)
    assert.truthy(report:find("events were lost"))
    assert.is_true(counts(dir).fib < 242785)
    local replay = snare("replay -d " .. dir)
    assert.truthy(replay:find("events lost */", 1, true))
  end)

  it("records the arguments and return values -A and -R ask for",
     function()
    snare("record -d " .. dir .. " -A fib@arg1 -R fib@retval"
          .. " -A 'mix@arg1,arg2/x,arg3/s,arg4,arg5/p' -R mix@retval"
          .. " -R name_of@retval/s -A length_or_zero@arg1/s -- "
          .. program("values") .. " 3")
    assert.same({
      "main() {", "  fib(3) {", "    fib(2) {", "      fib(1) = 1;",
      "      fib(0) = 0;", "    } = 1; /* fib */", "    fib(1) = 1;",
      "  } = 2; /* fib */", '  mix(-7, 0xc8, "hello", 6, 0) = 204;',
      "  length_or_zero((null));", "  length_or_zero((bad pointer 0x10));",
      '  name_of() = "one";', "} /* main */",
    }, replay_lines(dir))
  end)

  it("takes arguments and return values from DWARF with --auto-args",
     function()
    snare("record -a -d " .. dir .. " -- " .. program("values") .. " 2")
    local lines = replay_lines(dir)
    assert.truthy(lines[1]:match("^main%(2, 0x%x+%) {$"))
    assert.same({ "  fib(2) {", "    fib(1) = 1;", "    fib(0) = 0;",
                  "  } = 1; /* fib */", '  mix(-7, 200, "hello", BLUE, 0) = 204;',
                  "  length_or_zero((null)) = 0;",
                  "  length_or_zero((bad pointer 0x10)) = 0;",
                  '  name_of(1) = "one";', "} = 0; /* main */" },
                { table.unpack(lines, 2) })
    local _, err, status = snare("record -A fib@arg9 -d " .. dir .. " -- "
                                 .. program("values"))
    assert.equal(2, status)
    assert.truthy(err:find("arg1 to arg8"))
  end)

  it("runs uftrace's Lua scripts on a recording (snare script -S)",
     function()
    snare("record -d " .. dir .. " -A fib@arg1 -R fib@retval -R "
          .. "name_of@retval/s -- " .. program("values") .. " 2")
    local file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write([[
function uftrace_begin(ctx) print("begin", ctx.record, #ctx.cmds) end
function uftrace_entry(ctx)
  print("entry", ctx.depth, ctx.name, ctx.tid > 0, ctx.timestamp > 0,
        ctx.address > 0, ctx.args and table.concat(ctx.args, ",") or "-")
end
function uftrace_exit(ctx)
  print("exit", ctx.depth, ctx.name, ctx.duration >= 0, tostring(ctx.retval))
end
function uftrace_end() print("end") end
]])
    f:close()
    local out = snare("script -S " .. file .. " -d " .. dir .. " -F fib -F "
                      .. "name_of")
    os.remove(file)
    assert.equal(table.concat({
      "begin\tfalse\t0",
      "entry\t0\tfib\ttrue\ttrue\ttrue\t2",
      "entry\t1\tfib\ttrue\ttrue\ttrue\t1", "exit\t1\tfib\ttrue\t1",
      "entry\t1\tfib\ttrue\ttrue\ttrue\t0", "exit\t1\tfib\ttrue\t0",
      "exit\t0\tfib\ttrue\t1",
      "entry\t0\tname_of\ttrue\ttrue\ttrue\t-",
      "exit\t0\tname_of\ttrue\tone", "end", "" }, "\n"), out)
  end)

  it("runs uftrace's Lua scripts live, in the program (snare record -S)",
     function()
    local file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write([[
UFTRACE_FUNCS = { "main", "fib", "name_of" }
function uftrace_begin(ctx)
  local comm = io.open("/proc/self/comm"):read("l")
  print("begin", ctx.record, #ctx.cmds, ctx.cmds[2], comm)
end
function uftrace_entry(ctx)
  print("entry", ctx.depth, ctx.name, ctx.tid > 0, ctx.timestamp > 0,
        ctx.address > 0, ctx.args and table.concat(ctx.args, ",") or "-")
end
function uftrace_exit(ctx)
  print("exit", ctx.depth, ctx.name, ctx.duration >= 0,
        ctx.timestamp > 0, tostring(ctx.retval))
end
function uftrace_end() print("end") end
]])
    f:close()
    local out, err, status = snare("record -d " .. dir .. " -A fib@arg1 "
      .. "-R fib@retval -R name_of@retval/s -F main -D 3 -S " .. file
      .. " -- " .. program("values") .. " 2")
    os.remove(file)
    assert.equal("", err)
    assert.equal(0, status)
    -- As `uftrace record -S` prints it for the same program; the
    -- program's own line where it printed it (one stdout buffer).
    assert.equal(table.concat({
      "begin\ttrue\t2\t2\tvalues",
      "entry\t0\tmain\ttrue\ttrue\ttrue\t-",
      "entry\t1\tfib\ttrue\ttrue\ttrue\t2",
      "entry\t2\tfib\ttrue\ttrue\ttrue\t1", "exit\t2\tfib\ttrue\ttrue\t1",
      "entry\t2\tfib\ttrue\ttrue\ttrue\t0", "exit\t2\tfib\ttrue\ttrue\t0",
      "exit\t1\tfib\ttrue\ttrue\t1",
      "entry\t1\tname_of\ttrue\ttrue\ttrue\t-",
      "exit\t1\tname_of\ttrue\ttrue\tone",
      "1 204 one 0",
      "exit\t0\tmain\ttrue\ttrue\tnil", "end", "" }, "\n"), out)
    -- The recording is the same as without the script.
    assert.same({ main = 1, fib = 3, mix = 1, length_or_zero = 2,
                  name_of = 1 }, counts(dir))
  end)

  it("runs a live script on every call of every thread, threads taking "
     .. "turns", function()
    local file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write([[
UFTRACE_FUNCS = { "burst" }
local calls, open, tids = 0, {}, {}
function uftrace_entry(ctx)
  calls = calls + 1
  open[ctx.tid] = (open[ctx.tid] or 0) + 1
  tids[ctx.tid] = true
end
function uftrace_exit(ctx) open[ctx.tid] = open[ctx.tid] - 1 end
function uftrace_end()
  local threads, still = 0, 0
  for tid in pairs(tids) do
    threads, still = threads + 1, still + open[tid]
  end
  print("script", calls, threads, still)
end
]])
    f:close()
    local input = os.tmpname()
    f = assert(io.open(input, "w"))
    f:write("spawn 3000\nspawn 3000\nspawn 3000\njoin\n")
    f:close()
    local out, err = snare("record -d " .. dir .. " -S " .. file .. " -- "
                           .. program("attach_threads") .. " <" .. input)
    os.remove(file)
    os.remove(input)
    assert.equal("", err)
    assert.equal("ready\nbursts 9000\nbye bursts 9000 works some\n"
                 .. "script\t9000\t3\t0\n", out)
    assert.equal(9000, counts(dir).burst)
  end)

  it("keeps the last recording as DIR.old", function()
    snare("record -d " .. dir .. " -- " .. program("calls") .. " 1")
    snare("record -d " .. dir .. " -- " .. program("calls") .. " 2")
    assert.equal(1, counts(dir .. ".old").fib)
    assert.equal(3, counts(dir).fib)
  end)
end)

describe("snare report, graph and dump", function()
  local dir, other
  setup(function()
    dir, other = fresh_dir(), fresh_dir()
    snare("record -d " .. dir .. " -- " .. program("calls") .. " 5")
    snare("record -d " .. other .. " -- " .. program("calls") .. " 6")
  end)
  teardown(function()
    remove(dir)
    remove(other)
  end)

  it("sorts the report by the keys asked", function()
    local out = snare("report -s call -d " .. dir)
    local names = {}
    for name in out:gmatch("  ([%l_]+)\n") do
      names[#names + 1] = name
    end
    assert.same({ "fib", "leaf", "middle", "main" }, names)
    out = snare("report -s func -d " .. dir)
    names = {}
    for name in out:gmatch("  ([%l_]+)\n") do
      names[#names + 1] = name
    end
    assert.same({ "fib", "leaf", "main", "middle" }, names)
    local _, err, status = snare("report -s nope -d " .. dir)
    assert.equal(2, status)
    assert.truthy(err:find("unknown key"))
  end)

  it("compares two recordings (--diff)", function()
    local out = snare("report --diff " .. other .. " -d " .. dir)
    assert.truthy(out:match("\n[^\n]* 15 +25 +%+10   fib\n"))
  end)

  it("draws the call graph under a function", function()
    local out = snare("graph -d " .. dir .. " middle")
    assert.truthy(out:find(": %(3%) middle\n"))
    assert.truthy(out:find(":  %+%-%(12%) leaf\n"))
    local _, err = snare("graph -d " .. dir .. " nothing_such")
    assert.truthy(err:find("no function"))
  end)

  it("dumps Chrome JSON with OS tids and thread names", function()
    local out = snare("dump --chrome -d " .. dir)
    local tid = tasks(dir)[1].tid
    assert.truthy(out:find('"ph":"M","pid":%d+,"tid":' .. tid
                           .. ',"args":{"name":"calls"}'))
    assert.equal(15 + 12 + 3 + 1, select(2, out:gsub('"ph":"B"', "")))
    assert.equal(31, select(2, out:gsub('"ph":"E","ts":[%d.]+,"pid":%d+,"tid":'
                                        .. tid, "")))
  end)

  it("dumps folded stacks weighted by time, and an SVG of them", function()
    local out = snare("dump --flame-graph -d " .. dir)
    local stacks = {}
    for stack, ns in out:gmatch("([^\n]+) (%d+)\n") do
      stacks[stack] = tonumber(ns)
    end
    assert.is_true(stacks["main;middle;leaf"] > 0)
    assert.is_true(stacks["main;fib;fib;fib"] > 0)
    local svg = snare("dump --svg -d " .. dir)
    assert.truthy(svg:find("^<%?xml") or svg:find("^<svg"))
    assert.truthy(svg:find("calls 5", 1, true)) -- the command is its title
    assert.truthy(svg:find("<title>[^<]*calls 5</title>"))
    -- The viewer: click to zoom, search, reset.
    assert.truthy(svg:find('<script type="text/ecmascript">', 1, true))
    assert.truthy(svg:find('id="search"', 1, true))
    assert.truthy(svg:find('id="reset"', 1, true))
    assert.truthy(svg:find('<g class="f" data%-name="leaf"'))
  end)

  it("dumps pprof's profile.proto in gzip", function()
    local file = os.tmpname()
    snare("dump --pprof -o " .. file .. " -d " .. dir)
    local bytes = helpers.read_file(file)
    assert.equal("\31\139\8", bytes:sub(1, 3))
    local pipe = assert(io.popen("gzip -dc " .. file))
    local text = pipe:read("a")
    pipe:close()
    assert.truthy(text:find("middle", 1, true))
    if os.execute("command -v go >/dev/null 2>&1") then
      pipe = assert(io.popen("go tool pprof -top -sample_index=calls " .. file
                             .. " 2>&1"))
      text = pipe:read("a")
      pipe:close()
      assert.truthy(text:match("\n%s+15 [%d.]+%%[^\n]* fib\n"))
    end
    os.remove(file)
  end)

  it("has gzip's CRC-32", function()
    assert.equal(0xCBF43926, pprof.crc32("123456789"))
  end)

  it("dumps speedscope's evented profiles", function()
    local out = snare("dump --speedscope -d " .. dir)
    for _, field in ipairs { '"$schema":"https://www.speedscope.app/file%-format%-schema.json"',
                             '"shared":{"frames":%[', '"profiles":%[',
                             '"type":"evented"', '"unit":"nanoseconds"',
                             '"startValue":%d+', '"endValue":%d+',
                             '"events":%[' } do
      assert.truthy(out:find(field), field)
    end
    assert.equal(31, select(2, out:gsub('"type":"O"', "")))
    assert.equal(31, select(2, out:gsub('"type":"C"', "")))
  end)
end)
