-- record_filters_spec.lua - `snare record`'s record-time filters, as
-- uftrace record's: -F, -N (names, globs, regexes), -D, -T
-- trace_on/trace_off/finish and --disable leave calls out of the
-- recording itself, so the report of an unfiltered read shows only
-- what they let through; --libcall adds the program's library calls.
-- The program's output and status stay its own.
local helpers = require "spec.helpers"
local rec = require "spec.record_helpers"

local program = helpers.program

local snare, replay_lines = rec.snare, rec.replay_lines

-- {name = calls} in the recording made with `filters`.
local function recorded(dir, filters)
  local out, err, status = snare("record -d " .. dir .. " " .. filters
                                 .. " -- " .. program("calls") .. " 3")
  assert.equal("total 38\n", out)
  assert.equal("", err)
  assert.equal(3, status)
  return rec.counts(dir)
end

describe("snare record's filters", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
  end)
  after_each(function()
    os.execute("rm -rf '" .. dir .. "' '" .. dir .. ".old'")
  end)

  it("records only what -F functions call, and not what -N ones do",
     function()
    assert.same({ middle = 3, leaf = 12 }, recorded(dir, "-F middle"))
    assert.same({ main = 1, fib = 5 }, recorded(dir, "-N middle"))
    assert.same({ main = 1, middle = 3, leaf = 12 },
                recorded(dir, "-F main -N fib"))
  end)

  it("takes globs and regexes", function()
    assert.same({ middle = 3, leaf = 12 }, recorded(dir, "-F 'mi*'"))
    assert.same({ leaf = 12 }, recorded(dir, "-F '^lea'"))
  end)

  it("limits the depth, counted from the -F function", function()
    assert.same({ main = 1, fib = 1, middle = 3 }, recorded(dir, "-D 2"))
    recorded(dir, "-F fib -D 2")
    assert.same({ "fib() {", "  fib() {", "    fib();", "    fib();",
                  "  } /* fib */", "  fib();", "} /* fib */" },
                replay_lines(dir))
  end)

  it("turns recording off and on, or ends it, at a function's entry",
     function()
    assert.same({ main = 1, fib = 5 },
                recorded(dir, "-T middle@trace_off"))
    assert.same({ middle = 3, leaf = 12 },
                recorded(dir, "--disable -T middle@trace_on"))
    assert.same({ main = 1, fib = 1 }, recorded(dir, "-T fib@finish"))
  end)

  it("records the program's library calls with --libcall, as uftrace "
     .. "record does by default", function()
    assert.same({ main = 1, fib = 5, middle = 3, leaf = 12, atoi = 1,
                  printf = 1 }, recorded(dir, "--libcall"))
    assert.same({ atoi = 1, printf = 1 }, recorded(dir, "--libcall -F @libc"))
    recorded(dir, "--libcall -D 2")
    assert.same({ "main() {", "  atoi();", "  fib();", "  middle();",
                  "  middle();", "  middle();", "  printf();", "} /* main */" },
                replay_lines(dir))
    assert.truthy(helpers.read_file(dir .. "/symbols.txt")
                  :find(" /%S*libc%.so%.6 printf\n"))
  end)

  it("leaves open in replay the calls the program exited inside, as "
     .. "uftrace does", function()
    local out, _, status = snare("record -d " .. dir .. " -- "
                                 .. program("exit_deep"))
    assert.equal("bottom 5\n", out)
    assert.equal(7, status)
    assert.same({ "main() {", "  descend() {", "    descend() {",
                  "      descend() {", "        descend() {",
                  "          descend() {", "            bottom() {",
                  "              leaf();", "              leaf();" },
                replay_lines(dir))
    -- The report still counts them.
    assert.truthy(("\n" .. snare("report -f counts -d " .. dir))
                  :find("\n1 bottom\n"))
  end)

  it("records floating-point arguments and return values as uftrace's "
     .. "fparg and retval/f", function()
    local out, err, status = snare(
      "record -d " .. dir .. " -A 'scale@arg1,fparg1,fparg2/32' "
      .. "-R scale@retval/f -A halve@fparg1/32 -R halve@retval/f32 "
      .. "-A mixed@arg1,fparg1,arg2,fparg2 -R mixed@retval/f64 -- "
      .. program("floats"))
    assert.equal("4.750 2.500 -9.250\n", out)
    assert.equal("", err)
    assert.equal(0, status)
    assert.same({ "main() {",
                  "  mixed(2, 2.500000, 3, -4.750000) = -9.250000;",
                  "  halve(5.000000) = 2.500000;",
                  "  scale(3, 1.500000, 0.250000) = 4.750000;",
                  "  judge() {",
                  "    scale(2, 2.000000, 0.500000) = 4.500000;",
                  "  } /* judge */",
                  "} /* main */" }, replay_lines(dir))
    snare("record -a -d " .. dir .. " -- " .. program("floats"))
    assert.same({ "main() {",
                  "  mixed(2, 2.500000, 3, -4.750000) = -9.250000;",
                  "  halve(5.000000) = 2.500000;",
                  "  scale(1.500000, 3, 0.250000) = 4.750000;",
                  "  judge(&scale, 2.000000) {",
                  "    scale(2.000000, 2, 0.500000) = 4.500000;",
                  "  } = LARGE; /* judge */",
                  "} = 0; /* main */" }, replay_lines(dir))
  end)

  it("leaves out the calls shorter than -t, as uftrace record -t does",
     function()
    -- slow() sleeps 20 ms; quick() takes microseconds, inside slow() too.
    local out, err, status = snare("record -t 10ms -d " .. dir .. " -- "
                                   .. program("durations"))
    assert.same({ "total 12\n", "", 0 }, { out, err, status })
    -- uftrace record --no-sched -t 10ms of the -pg build replays so.
    assert.same({ "main() {", "  outer() {", "    slow();",
                  "  } /* outer */", "} /* main */" }, replay_lines(dir))
    -- With -F and library calls: nanosleep() is as long as slow().
    snare("record --libcall -t 10ms -F slow -d " .. dir .. " -- "
          .. program("durations"))
    assert.same({ "slow() {", "  nanosleep();", "} /* slow */" },
                replay_lines(dir))
    local _, time_err = snare("record -t 10parsecs -d " .. dir .. " -- "
                              .. program("durations"))
    assert.truthy(time_err:find("-t needs a time", 1, true))
  end)

  it("hides -H functions alone, their callees in their place, at record "
     .. "and at replay time, as uftrace replay -H does", function()
    -- uftrace 0.13's record takes -H but records them all; its replay
    -- -H of that recording prints these lines.
    local expected = { "quick();", "slow() {", "  nanosleep();",
                       "  quick();", "} /* slow */", "quick();", "quick();",
                       "printf();" }
    local out, err, status = snare("record --libcall -H main -H outer -d "
                                   .. dir .. " -- " .. program("durations"))
    assert.same({ "total 12\n", "", 0 }, { out, err, status })
    assert.same(expected, replay_lines(dir))
    snare("record --libcall -d " .. dir .. " -- " .. program("durations"))
    assert.same(expected, replay_lines(dir, "-H main -H outer"))
    -- -D counts as if they were not there.
    assert.same({ "main() {", "  quick();", "  slow();", "  quick();",
                  "  quick();", "  printf();", "} /* main */" },
                replay_lines(dir, "-H outer -D 2"))
  end)

  it("names pointers to the program's and libc's data objects and "
     .. "functions \"&name\", where uftrace does", function()
    local out, _, status = snare("record -a -d " .. dir .. " -- "
                                 .. program("data_pointers"))
    assert.equal("13\n", out)
    assert.equal(0, status)
    local lines = replay_lines(dir)
    for i, line in ipairs(lines) do
      lines[i] = line:gsub("0x%x+", "0xADDR")
    end
    -- Past its file's last page, `big` is anonymous memory: uftrace
    -- leaves such pointers unnamed, and so does snare.
    assert.same({ "main() {",
                  "  show(&table) = 1;", "  show(&table) = 1;",
                  "  show(&counter) = 1;", "  show(&counter) = 1;",
                  "  show(&big) = 1;", "  show(0xADDR) = 1;",
                  "  show(&show) = 1;", "  show(&show) = 1;",
                  "  show(0xADDR) = 1;", "  show(&_IO_2_1_stdout_) = 1;",
                  "  show(0xADDR) = 1;", "  show(0) = 0;",
                  "  pick(0) = &table;", "  show(&table) = 1;",
                  "  pick(1) = &counter;", "  show(&counter) = 1;",
                  "} = 0; /* main */" }, lines)
    assert.truthy(helpers.read_file(dir .. "/objects.txt")
                  :find("\n%x+ 20 o table\n"))
  end)

  it("records the library calls libraries make with --nest-libcall, as "
     .. "uftrace's -l", function()
    local out, err, status = snare("record --libcall -d " .. dir .. " -- "
                                   .. program("nested_calls"))
    assert.equal("0 1\n", out)
    assert.equal("", err)
    assert.equal(0, status)
    assert.same({ "main() {", "  compress2();", "  printf();", "} /* main */" },
                replay_lines(dir))
    out, err, status = snare("record -l -d " .. dir .. " -- "
                             .. program("nested_calls"))
    assert.equal("0 1\n", out)
    assert.equal("", err)
    assert.equal(0, status)
    local lines = replay_lines(dir)
    -- zlib's own calls, and its calls into libc through its PLT; not
    -- libc's (uftrace leaves the system's base libraries out too).
    assert.same({ "main() {", "  compress2() {", "    deflateInit_() {",
                  "      deflateInit2_() {", "        malloc();" },
                { table.unpack(lines, 1, 5) })
    local text = table.concat(lines, "\n")
    local _, mallocs = text:gsub("malloc%(%);", "")
    local _, frees = text:gsub("free%(%);", "")
    assert.equal(mallocs, frees)
    assert.truthy(text:find("\n    deflateEnd() {\n      free();", 1, true))
    assert.same({ "  } /* compress2 */", "  printf();", "} /* main */" },
                { table.unpack(lines, #lines - 2) })
    -- zlib alone: libc is among the base libraries left out
    local info = assert(io.open(dir .. "/info.txt")):read("a")
    assert.truthy(info:find("\nnested_libraries 1\n", 1, true), info)
  end)

  it("refuses a filter it cannot apply, running nothing", function()
    local out, err, status = snare("record -d " .. dir .. " -T fib@later -- "
                                   .. program("calls"))
    assert.equal("", out)
    assert.truthy(err:find("-T needs FUNCTION@trace_on|trace_off|finish",
                           1, true))
    assert.not_equal(0, status)
    local _, depth_err = snare("record -d " .. dir .. " -D 0 -- " .. program("calls"))
    assert.truthy(depth_err:find("-D needs a depth", 1, true))
  end)
end)
