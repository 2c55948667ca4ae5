-- watch_spec.lua - hardware watchpoints from Lua (s:watch on names and
-- addresses, conditions on the trapped thread, a local's scope), in the
-- agent on every thread of a program (`snare exec`), and at the prompt
-- as gdb shows them (watch, rwatch, awatch, info watchpoints, delete,
-- the scope end, the fifth register, a kernel that refuses).
local helpers = require "spec.helpers"

local quote = helpers.quote

-- Runs a shell command line, bounded in time; its stdout, stderr, status.
local function run(line)
  return helpers.run_apart("timeout 60 " .. line)
end

local temp_file = helpers.temp_file

describe("s:watch", function()
  local lib, s
  before_each(function()
    lib = helpers.load("watch")
    s = helpers.session()
    s:write_u64(lib:symbol("counter"), 0)
  end)
  after_each(function()
    helpers.close_sessions()
    lib:close()
  end)

  it("watches a global by name, its length from its symbol", function()
    local wp = s:watch("counter")
    assert.are.equal(8, wp.length)
    assert.are.equal("write", wp.kind)
    local stop = s:call("write_counter", 3)
    local seen = {}
    while stop.kind == "watchpoint" do
      assert.are.equal(wp, stop.watchpoint)
      assert.are.equal(wp.id, stop.watchpoint_id)
      assert.are.equal("write_counter", stop.func)
      seen[#seen + 1] = stop.old_value .. "->" .. stop.new_value
      stop = s:continue()
    end
    assert.are.equal("exit", stop.kind)
    assert.are.same({ "0->1", "1->2", "2->3" }, seen)
    assert.are.equal(3, wp.hits)
    assert.are.equal(2, s:watch("watched16", { kind = "access" }).length)
  end)

  it("runs a Lua condition on the trapped thread, resuming silently",
     function()
    local values = {}
    local wp = s:watch("counter", { condition = function(frame)
      values[#values + 1] = s:read_u64(lib:symbol("counter"))
      return frame.thread ~= s.thread
    end })
    assert.are.equal("exit", s:call("write_counter", 5).kind)
    assert.are.same({ 1, 2, 3, 4, 5 }, values)
    assert.are.equal(5, wp.rejected)
    assert.are.equal(0, wp.stops)
  end)

  it("watches a local of the stopped frame until that frame returns",
     function()
    s:breakpoint("local_here")
    assert.are.equal("breakpoint", s:call("local_outer", 3).kind)
    assert.are.equal("local_work", s:finish().func)
    local wp = s:watch("local")
    assert.is_true(wp.scoped)
    local stop, hits = s:continue(), 0
    while stop.reason == "watchpoint hit" do
      hits = hits + 1
      stop = s:continue()
    end
    assert.are.equal(3, hits)
    assert.are.equal("watchpoint", stop.kind)
    assert.are.equal("watchpoint's frame returned", stop.reason)
    assert.are.equal(wp.id, stop.watchpoint_id)
    assert.are.equal("local_outer", stop.func)
    assert.is_true(wp.cleared)
    assert.are.same({}, s:watchpoints())
    assert.are.equal("exit", s:continue().kind)
  end)

  -- A step (method: "next", "step_line") over write_in_line's line
  -- ends inside it, after the watched write, as a step's stop.
  local function step_over_watched_write(method)
    s:breakpoint("write_in_line")
    local stop = s:call("write_in_line")
    local line = stop.line
    local wp = s:watch("counter")
    stop = s[method](s)
    assert.are.equal("step", stop.kind)
    assert.are.equal(wp.id, stop.watchpoint_id)
    assert.are.equal(1, stop.new_value)
    assert.are.equal(line, stop.line, "stopped inside the line")
    assert.are.equal(1, wp.hits)
    return line
  end

  it("ends a step over a line where the watched write is", function()
    local line = step_over_watched_write("next")
    assert.are_not.equal(line, s:next().line)
  end)

  it("ends a step (into) over a line where the watched write is", function()
    step_over_watched_write("step_line")
  end)

  it("refuses a fifth register with the reason", function()
    s:watch("watched8")
    s:watch("watched16")
    s:watch("watched32")
    local wp = s:watch("watched64")
    local ok, err = pcall(s.watch, s, "counter")
    assert.is_false(ok)
    assert.matches("every hardware watchpoint register is in use: x86%-64 "
                   .. "has four", err)
    wp:clear()
    assert.is_true(wp.cleared)
    assert.are.equal(3, #s:watchpoints())
    assert.are.equal(8, s:watch("counter").length) -- its register is free
  end)

  it("takes an address, and refuses an unknown name", function()
    local wp = s:watch(lib:symbol("buffer") + 2, { len = 12 })
    assert.are.equal(4, wp.registers)
    assert.error_matches(function() s:watch("no_such_variable") end,
                         "unknown symbol 'no_such_variable'")
  end)
end)

describe("watchpoints in the agent", function()
  it("count every thread's writes, each hit on its own thread", function()
    local script = temp_file([[
local agent = require "snare.agent"
local s = agent.session
local per = {}
local function count(thread) per[thread] = (per[thread] or 0) + 1 end
-- a condition that cannot run (another thread runs Lua) stops instead
local wp = s:watch("total", { condition = function(f)
  count(f.thread)
  return false
end })
local heap
s:breakpoint("record_made")
agent.run { event = function(ev)
  if ev.type == "watchpoint" and ev.watchpoint == wp then
    count(ev.thread)
  elseif ev.type == "hard-breakpoint" then
    heap = s:watch(s:thread_reg(ev.thread, "rdi") + 8, { len = 8 })
  end
end }
local threads = {}
for thread, n in pairs(per) do
  threads[#threads + 1] = n
  assert(thread ~= agent.thread, "the main thread wrote no total")
end
io.stderr:write(string.format("threads %d each %s hits %d heap %d\n",
  #threads, table.concat(threads, ","), wp.hits, heap.hits))
]])
    local out, err, status = run(quote("bin/snare") .. " exec " .. script
                                 .. " -- " .. quote(helpers.program(
                                   "watch_threads")) .. " 8 50")
    os.remove(script)
    assert.are.equal(0, status, err)
    assert.are.equal("total 400 count 100\n", out)
    assert.matches("threads 8 each 50,50,50,50,50,50,50,50 hits 400 heap 50",
                   err, 1, true)
  end)
end)

describe("watchpoints at the prompt", function()
  local lib = helpers.fixture("watch")

  local function debug(lines, env)
    local input = temp_file(table.concat(lines, "\n") .. "\n")
    local out, err, status = run("env " .. (env or "") .. " bin/snare debug "
                                 .. quote(lib) .. " < " .. input)
    os.remove(input)
    return out, err, status
  end

  it("reports as gdb: old and new value, then where the write was",
     function()
    local out, err = debug {
      "watch counter", "call write_counter(2)", "continue", "continue",
      "info watchpoints", "delete 1", "info watchpoints",
    }
    assert.are.equal("", err)
    assert.matches([[
Hardware watchpoint 1: counter

Hardware watchpoint 1: counter

Old value = 0
New value = 1
write_counter %(n=2%) at ../spec/fixtures/watch.c:%d+
%d+	  for %(int i = 0; i < n; i%+%+%)

Hardware watchpoint 1: counter

Old value = 1
New value = 2
]], out)
    assert.matches([[
Num     Type           Disp Enb Address            What
1       hw watchpoint  keep y                      counter
	breakpoint already hit 2 times
No watchpoints.
]], out)
  end)

  it("says when a local's frame has returned", function()
    local out = debug {
      "break local_here", "call local_outer(1)", "finish", "watch local",
      "continue", "continue", "continue",
    }
    assert.matches("Hardware watchpoint 2: local\n\nOld value = 0\n"
                   .. "New value = 1\n", out, 1, true)
    assert.matches([[

Watchpoint 2 deleted because the program has left the block in
which its expression is valid.
0x%x+ in local_outer %(n=1%) at ../spec/fixtures/watch.c:%d+
]], out)
  end)

  it("reads and accesses, with a condition", function()
    local out = debug {
      "rwatch counter", "awatch watched16 if $rdi != 0",
      "call read_counter(1)", "continue", "info breakpoints",
    }
    assert.matches("Hardware read watchpoint 1: counter\n"
                   .. "Hardware access (read/write) watchpoint 2: watched16\n",
                   out, 1, true)
    assert.matches("\nHardware read watchpoint 1: counter\n\nValue = 0\n",
                   out, 1, true)
    assert.matches("2       acc watchpoint keep y                      "
                   .. "watched16\n\tstop only if $rdi != 0\n", out, 1, true)
  end)

  it("refuses a fifth and says why", function()
    local _, err = debug { "watch watched8", "watch watched16",
                           "watch watched32", "watch watched64",
                           "watch counter" }
    assert.matches("Could not insert watchpoint counter: every hardware "
                   .. "watchpoint register is in use: x86-64 has four",
                   err, 1, true)
  end)

  it("says what to change where the kernel refuses", function()
    local out, err, status = debug({ "watch counter", "break write_counter",
                                     "info breakpoints" },
                                   "SNARE_TEST_WATCH_REFUSE=EACCES")
    assert.are.equal(0, status)
    assert.matches("Could not insert watchpoint counter: operation is not "
                   .. "supported here: the kernel refuses perf events", err,
                   1, true)
    assert.matches("kernel.perf_event_paranoid", err, 1, true)
    -- breakpoints are not affected
    assert.matches("Breakpoint 1 at", out, 1, true)
  end)
end)
