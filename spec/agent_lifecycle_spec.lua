-- agent_lifecycle_spec.lua - the agent of `snare profile|exec -- PROG`
-- at every edge of the program's life: threads started and ended, faults
-- on them, fork, every kind of exit, exec, end signals, the program's own
-- signal handlers and masks, output paths, setuid programs, and modules
-- planted in the working directory. Each case compares the program's
-- stdout and status with a plain run (spec/fixtures/programs/lifecycle.c).

local helpers = require "spec.helpers"

local quote = helpers.quote

local read_all = helpers.read_file

local function absolute(path)
  if path:sub(1, 1) == "/" then
    return path
  end
  local pipe = assert(io.popen("pwd -P"))
  local cwd = pipe:read("l")
  pipe:close()
  return cwd .. "/" .. path
end

local program = absolute(helpers.program("lifecycle"))
local snare_bin = absolute("bin/snare")

-- Runs a shell command line in `dir` (nil: here), bounded in time (a
-- hang fails the test instead of the run); returns stdout, stderr and
-- the status as the shell reports it.
local function run(line, dir)
  local cd = dir and ("cd " .. quote(dir) .. " && ") or ""
  return helpers.run_apart(cd .. "timeout 30 " .. line)
end

local function plain(args)
  return run(quote(program) .. " " .. args)
end

local function profile(args, options, dir)
  return run(quote(snare_bin) .. " profile " .. (options or "") .. " -- "
             .. quote(program) .. " " .. args, dir)
end

-- The calls column of a profile table: {name = calls}.
local function table_calls(text)
  local found = {}
  for name, n in text:gmatch("\n(%S+)%s+(%d+)%s+[%d.]+%s+[%d.]+") do
    found[name] = tonumber(n)
  end
  return found
end

-- Runs `snare exec` of a script with this source on the program.
local function exec_source(source, args)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(source)
  f:close()
  local out, err, status = run(quote(snare_bin) .. " exec " .. script
                               .. " -- " .. quote(program) .. " " .. args)
  os.remove(script)
  return out, err, status
end

local function temp_dir()
  local pipe = assert(io.popen("mktemp -d"))
  local dir = pipe:read("l")
  pipe:close()
  return dir
end

-- A script that counts the silent hits of a breakpoint on work() (a
-- trap: its condition never stops), and reports them on stderr.
-- A breakpoint on work() whose Lua condition never stops; the hits are
-- the trap's own count (a condition is skipped, by design, while the
-- controller runs Lua for an event, so its calls may be fewer).
local counting_breakpoint = [[
local agent = require "snare.agent"
local bp = agent.session:breakpoint(agent.program:symbol("work"), {
  condition = function() return false end })
local how = agent.run()
io.stderr:write("hits ", bp.hits, " how ", how, "\n")
]]

describe("the agent and the program's threads", function()
  -- Counts the threads that attached and detached again, and work()'s
  -- calls per thread, on stderr.
  local count_threads = [[
local agent = require "snare.agent"
local snare = require "snare"
local trace = snare.trace { agent.program:symbol("work") }
local attached, detached = {}, {}
agent.run { interval = 0.005, tick = function() trace:poll() end,
  event = function(ev)
    if ev.type == "attach" then attached[ev.thread] = true
    elseif ev.type == "detach" then detached[ev.thread] = true end
  end }
local per_thread, threads, calls = {}, 0, 0
for _, record in ipairs(trace:report()) do
  per_thread[record.thread] = (per_thread[record.thread] or 0) + 1
  calls = calls + 1
end
local counts = {}
for _, n in pairs(per_thread) do
  threads = threads + 1
  counts[n] = (counts[n] or 0) + 1
end
local a, d = 0, 0
for id in pairs(attached) do
  a = a + 1
  if detached[id] then d = d + 1 end
end
io.stderr:write(("attached %d detached %d threads %d calls %d ten %d\n")
                :format(a, d, threads, calls, counts[10] or 0))
]]

  it("attaches every thread the program starts and detaches it at its end",
     function()
    local out, err, status = exec_source(count_threads, "threads 4")
    local plain_out, _, plain_status = plain("threads 4")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    -- 4 rounds of 16 threads, 10 calls each, every one on its own thread.
    assert.matches("attached 64 detached 64 threads 64 calls 640 ten 64\n",
                   err, 1, true)
  end)

  it("detaches a thread that is cancelled", function()
    local out, err, status = exec_source(count_threads, "cancel 4")
    local plain_out, _, plain_status = plain("cancel 4")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.equal("cancelled 32\n", out)
    assert.matches("attached 32 detached 32 ", err, 1, true)
  end)

  it("reports a fault on another thread with its backtrace and dies of it",
     function()
    local out, err, status = profile("thread-fault")
    local plain_out, _, plain_status = plain("thread-fault")
    assert.equal(139, plain_status)
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.equal(1, table_calls(err).thread_crash)
    assert.matches("SIGSEGV on thread %d+ at 0x%x+ <thread_crash%+%d+>", err)
    assert.matches("#1  0x%x+ <crashing%+%d+> at lifecycle.c:%d+", err)
    assert.matches("(incomplete: the program faulted)", err, 1, true)
  end)
end)

describe("the agent at the program's exits", function()
  local cases = {
    { "main's pthread_exit while a thread runs on", "main-pthread-exit", 0,
      { outliving_main = 1, work = 2 } },
    { "_exit()", "_exit", 6, { work = 1 } },
    { "quick_exit()", "quick_exit", 7, { work = 1 } },
    { "exec(), the new image running without the agent", "exec", 8,
      { work = 1 } },
  }
  for _, case in ipairs(cases) do
    local title, args, expected, calls = table.unpack(case)
    it("writes the report and keeps the status at " .. title, function()
      local out, err, status = profile(args)
      local plain_out, _, plain_status = plain(args)
      assert.equal(expected, plain_status)
      assert.equal(plain_status, status)
      assert.equal(plain_out, out)
      local reported = table_calls(err)
      for name, n in pairs(calls) do
        assert.equal(n, reported[name], name)
      end
    end)
  end

  it("follows exec with --follow-exec: the new image's report goes to "
     .. "FILE.PID.1", function()
    local dir = temp_dir()
    local out, err, status = profile("exec-self", "--follow-exec -o report",
                                     dir)
    local plain_out, _, plain_status = plain("exec-self")
    local pipe = assert(io.popen("ls " .. quote(dir)))
    local names = pipe:read("a")
    pipe:close()
    local first = read_all(dir .. "/report")
    local second_name = names:match("report%.%d+%.1")
    local second = second_name and read_all(dir .. "/" .. second_name)
    os.execute("rm -rf " .. quote(dir))
    assert.equal(6, plain_status) -- the new image's _exit(6)
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.equal("", err)
    assert.same({ main = 1, work = 1 }, table_calls(first))
    assert.is_not_nil(second, "no report.PID.1 in " .. names)
    assert.same({ main = 1, work = 1 }, table_calls(second))
  end)

  for _, case in ipairs { { "INT", 2 }, { "TERM", 15 }, { "HUP", 1 } } do
    local name, number = table.unpack(case)
    it("writes an incomplete report at SIG" .. name .. " and dies of it",
       function()
      local out, err, status = profile("signal " .. name)
      local plain_out, _, plain_status = plain("signal " .. name)
      assert.equal(128 + number, plain_status)
      assert.equal(plain_status, status)
      assert.equal(plain_out, out)
      assert.equal(1, table_calls(err).end_signal)
      assert.matches("(incomplete: the program was killed by signal "
                     .. number .. ")", err, 1, true)
    end)
  end

  it("lets a forked child run on its own; the parent's report is whole",
     function()
    local out, err, status = profile("fork")
    local plain_out, _, plain_status = plain("fork")
    assert.equal(4, plain_status)
    assert.equal(plain_status, status)
    assert.equal(plain_out, out) -- the child's output and its SIGSEGV
    local calls = table_calls(err)
    assert.equal(1, calls.forking)
    assert.equal(1, calls.main)
    assert.not_matches("got SIGSEGV", err, 1, true)
  end)

  it("writes a forked child's own report to FILE.PID, and the parent's to "
     .. "FILE", function()
    local dir = temp_dir()
    local out, err, status = profile("fork-exit", "-o report", dir)
    local plain_out, _, plain_status = plain("fork-exit")
    local pipe = assert(io.popen("ls " .. quote(dir)))
    local names = pipe:read("a")
    pipe:close()
    local child_name = names:match("report%.%d+")
    local parent = read_all(dir .. "/report")
    local child = child_name and read_all(dir .. "/" .. child_name)
    os.execute("rm -rf " .. quote(dir))
    assert.equal(4, plain_status)
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.equal("", err)
    assert.same({ main = 1, forking_exit = 1, work = 1 }, table_calls(parent))
    assert.is_not_nil(child, "no report.PID in " .. names)
    assert.same({ work = 2 }, table_calls(child)) -- the child's calls only
  end)

  it("lets a forked child run through breakpoints, with nobody to stop it",
     function()
    local out, err, status = exec_source(counting_breakpoint, "fork")
    local plain_out, _, plain_status = plain("fork")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("hits 1 how exit", err, 1, true) -- the parent's own
  end)

  it("leaves the program the descriptor numbers it opens without snare, "
     .. "past a breakpoint and under profile", function()
    local plain_out, _, plain_status = plain("descriptors")
    assert.equal(0, plain_status)
    assert.matches("opened %d+ and %d+", plain_out)
    local out, err, status = exec_source(counting_breakpoint, "descriptors")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("hits 1 how exit", err, 1, true)
    out, _, status = profile("descriptors")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out:match("^[^\n]*\n"))
  end)

  it("reports an error in agent.on_fork's function with its traceback, the "
     .. "child's run unchanged", function()
    local failing_fork = [[
local agent = require "snare.agent"
local function fails_in_child(pid) error("no report for " .. type(pid)) end
agent.on_fork(fails_in_child)
agent.run()
]]
    local out, err, status = exec_source(failing_fork, "fork")
    local plain_out, _, plain_status = plain("fork")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("snare: in the forked child: [^\n]*no report for number",
                   err)
    -- Through the one protected-call helper, which adds the traceback.
    assert.matches("stack traceback:\n%s*%[C%]: in function 'error'", err)
  end)
end)

describe("the agent and the program's own signal handling", function()
  it("keeps traps working behind the program's SIGTRAP handler, and lets "
     .. "its SIGSEGV handler decide", function()
    local out, err, status = exec_source(counting_breakpoint, "own-handlers")
    local plain_out, _, plain_status = plain("own-handlers")
    assert.equal(9, plain_status)
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("hits 11 how exit", err, 1, true) -- 10 + the fault's
  end)

  it("keeps traps deliverable to a thread that blocks every signal, and "
     .. "shows it and its threads the mask it set", function()
    local out, err, status = exec_source(counting_breakpoint, "masked")
    local plain_out, _, plain_status = plain("masked")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("trap blocked: 1\ninherited trap blocked: 1\n", out, 1,
                   true)
    assert.matches("hits 10 how exit", err, 1, true)
  end)
end)

describe("the agent's output and safety", function()
  it("writes a relative -o where snare started, though the program "
     .. "changed directory", function()
    local dir = temp_dir()
    os.remove("/report.txt") -- where the program's directory would put it
    local out, _, status = profile("chdir", "-o report.txt", dir)
    local plain_out, _, plain_status = plain("chdir")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    local report = read_all(dir .. "/report.txt")
    os.execute("rm -rf " .. quote(dir))
    assert.is_not_nil(report)
    assert.equal(1, table_calls(report).work)
    assert.is_nil(read_all("/report.txt"))
  end)

  it("refuses an -o it cannot write before the program runs", function()
    local out, err, status = profile("chdir", "-o /nonexistent/dir/report")
    assert.equal(2, status)
    assert.equal("", out) -- the program never ran
    assert.matches("cannot write the report", err, 1, true)
  end)

  it("runs a setuid program untouched and says why", function()
    local dir = temp_dir()
    local copy = dir .. "/lifecycle"
    os.execute("cp " .. quote(program) .. " " .. quote(copy) .. " && chmod u+s "
               .. quote(copy))
    local out, err, status = run(quote(snare_bin) .. " profile -- "
                                 .. quote(copy) .. " chdir")
    os.execute("rm -rf " .. quote(dir))
    local plain_out, _, plain_status = plain("chdir")
    assert.equal(plain_status, status)
    assert.equal(plain_out, out)
    assert.matches("setuid or setgid", err, 1, true)
    assert.matches("ignores LD_PRELOAD", err, 1, true)
    assert.not_matches("function%s+calls", err)
  end)

  it("never loads a module from the working directory", function()
    local dir = temp_dir()
    os.execute("mkdir " .. quote(dir .. "/posix") .. " " .. quote(dir .. "/snare"))
    for _, name in ipairs { "snare.lua", "posix/unistd.lua", "snare/collect.lua" } do
      local f = assert(io.open(dir .. "/" .. name, "w"))
      f:write("io.stderr:write('TRAP LOADED ", name, "\\n') os.exit(99)\n")
      f:close()
    end
    local _, debug_err, debug_status = run(quote(snare_bin)
                                           .. " debug </dev/null", dir)
    local out, err, status = profile("chdir", nil, dir)
    os.execute("rm -rf " .. quote(dir))
    assert.not_matches("TRAP LOADED", debug_err, 1, true)
    assert.equal(0, debug_status)
    assert.not_matches("TRAP LOADED", err, 1, true)
    assert.equal(0, status)
    assert.equal("in / 2\n", out)
  end)
end)
