-- snare attach PID: real long-running programs (spec/fixtures/programs/
-- attach_*.c), attached, profiled, detached; the programs' behaviour
-- and their memory maps and signal handlers afterwards, exact call
-- counts in the window, 50 attach/detach cycles, the refusals.
local helpers = require "spec.helpers"

local program = helpers.program

local ah = require("spec.attach_helpers").new {
  finally = function(fn) finally(fn) end, -- busted's, inside a test
}
local sh, read, eventually = ah.sh, ah.read, ah.eventually
local start, send, output, finish = ah.start, ah.send, ah.output, ah.finish
local kill, attach, attach_background = ah.kill, ah.attach, ah.attach_background
local tmpfile = ah.tmpfile

-- The files the process maps (sorted, unique).
local function mapped_files(pid)
  local set, list = {}, {}
  for line in io.lines("/proc/" .. pid .. "/maps") do
    local file = line:match("%s(/%S+)$")
    if file and not set[file] then
      set[file] = true
      list[#list + 1] = file
    end
  end
  table.sort(list)
  return list
end

-- Its caught signals (SigCgt) as a number.
local function caught(pid)
  for line in io.lines("/proc/" .. pid .. "/status") do
    local mask = line:match("^SigCgt:%s*(%x+)")
    if mask then
      return math.tointeger(tonumber(mask, 16))
    end
  end
end

-- glibc installs its handler of SIGSETXID (33) the first time a process
-- starts a thread, and keeps it: the agent's controller is the first
-- thread of a single-threaded program.
local SETXID_BIT = 1 << 32

-- What `snare attach` listed as still loaded.
local function kept(errors)
  local list = {}
  for file in errors:gmatch("still loaded: (%S+)") do
    list[#list + 1] = file
  end
  table.sort(list)
  return list
end

local function without(list, removed)
  local drop, kept_items = {}, {}
  for _, item in ipairs(removed) do
    drop[item] = true
  end
  for _, item in ipairs(list) do
    if not drop[item] then
      kept_items[#kept_items + 1] = item
    end
  end
  return kept_items
end


describe("snare attach", function()
  it("profiles a window of a running program: exact counts, then leaves "
     .. "its maps and handlers as they were (but what it lists as loaded)",
     function()
    local t = start("attach_counter")
    send(t, "3")
    assert(eventually(function() return output(t):find("total 3") end))
    local maps_before, signals_before = mapped_files(t.pid), caught(t.pid)
    local run = attach_background(t, "profile --duration 3 -f counts")
    assert.truthy(run.attached())
    send(t, "7")
    assert(eventually(function() return output(t):find("total 10") end))
    local out, errors, status = run.wait()
    t.maps_after, t.signals_after = mapped_files(t.pid), caught(t.pid)
    assert.are.equal(0, status)
    assert.are.equal("", out)
    assert.truthy(errors:find("\n7 tick\n", 1, true), errors)
    assert.truthy(errors:find("detached from process " .. t.pid, 1, true))
    -- The program goes on as before, counting alone.
    send(t, "4")
    assert.are.equal(0, finish(t))
    assert.are.equal("ready\nticked 3 total 3\nticked 7 total 10\n"
                     .. "ticked 4 total 14\nbye total 14\n", output(t))
    assert.are.equal("", read(t.dir .. "/err"))
    -- Maps and handlers: as before, but what snare said stays, and the
    -- handler glibc sets when a process first gets a second thread.
    assert.are.same(maps_before, without(t.maps_after, kept(errors)))
    assert.are.equal(signals_before, t.signals_after & ~SETXID_BIT)
  end)

  it("leaves the maps and signal handlers as they were", function()
    local t = start("attach_threads")
    local maps_before, signals_before = mapped_files(t.pid), caught(t.pid)
    local _, errors, status = attach(t, "profile --duration 1 -f counts")
    assert.are.equal(0, status, errors)
    local maps_after = mapped_files(t.pid)
    assert.are.same(maps_before, without(maps_after, kept(errors)))
    assert.truthy(#kept(errors) > 0) -- snare.core, with the reason
    assert.truthy(errors:find("core.so (its generated code", 1, true), errors)
    assert.are.equal(signals_before, caught(t.pid))
    assert.are.equal(0, finish(t))
  end)

  it("attaches the threads a program starts while attached, exactly",
     function()
    local t = start("attach_threads")
    local run = attach_background(t, "profile --duration 4 -f counts")
    assert.truthy(run.attached())
    send(t, "spawn 100")
    send(t, "spawn 250")
    send(t, "join")
    assert(eventually(function() return output(t):find("bursts 350") end))
    local _, errors, status = run.wait()
    assert.are.equal(0, status, errors)
    assert.truthy(errors:find("\n350 burst\n", 1, true), errors)
    assert.truthy(errors:find("%d+ work\n"))
    send(t, "spawn 5")
    send(t, "join")
    assert(eventually(function() return output(t):find("bursts 355") end))
    assert.are.equal(0, finish(t))
    assert.truthy(output(t):find("bye bursts 355 works some", 1, true))
  end)

  it("profiles a TCP echo server under load: every reply right, no "
     .. "connection lost", function()
    local t = start("attach_echo")
    local port = output(t):match("port (%d+)")
    local signals_before, maps_before = caught(t.pid), mapped_files(t.pid)
    local run = attach_background(t, "profile --duration 4 -f counts")
    -- The load runs before, during and after attaching.
    local pipe = assert(io.popen(program("attach_echo_client") .. " " .. port
                                 .. " 400 50"))
    assert.truthy(run.attached())
    local report = pipe:read("a")
    local _, _, client_status = pipe:close()
    assert.are.equal("connections 400 replies 20000 wrong 0 lost 0\n", report)
    assert.are.equal(0, client_status)
    local _, errors, status = run.wait()
    assert.are.equal(0, status, errors)
    assert.truthy(errors:find("%d+ echo_chunk\n"), errors)
    assert.are.same(maps_before, without(mapped_files(t.pid), kept(errors)))
    -- Its threads come with the connections: glibc's SIGSETXID handler
    -- may be the agent's doing or theirs.
    assert.are.equal(signals_before, caught(t.pid) & ~SETXID_BIT)
    -- It still serves after snare left.
    pipe = assert(io.popen(program("attach_echo_client") .. " " .. port
                           .. " 8 10"))
    assert.are.equal("connections 8 replies 80 wrong 0 lost 0\n",
                     pipe:read("a"))
    pipe:close()
    kill(t)
  end)

  it("attaches and detaches 50 times on one process", function()
    local t = start("attach_counter")
    local maps_first, signals_first
    for i = 1, 50 do
      local run = attach_background(t, "profile --duration 0.2 -f counts")
      local _, errors, status = run.wait()
      assert.are.equal(0, status, errors)
      assert.truthy(errors:find("detached from process", 1, true), errors)
      send(t, tostring(i))
      assert(eventually(function()
        return output(t):find("ticked " .. i .. " ", 1, true)
      end))
      if i == 1 then
        maps_first, signals_first = mapped_files(t.pid), caught(t.pid)
      end
    end
    assert.truthy(output(t):find("total 1275", 1, true))
    assert.are.same(maps_first, mapped_files(t.pid))
    assert.are.equal(signals_first, caught(t.pid))
    assert.are.equal(0, finish(t))
  end)

  it("detaches when snare is killed (SIGTERM)", function()
    local t = start("attach_counter")
    local run = attach_background(t, "profile -f counts")
    assert.truthy(run.attached())
    -- snare (bin/snare, Lua) is the parent of the helper that talks to
    -- the agent; the helper hears of snare's death and detaches.
    local helper
    for dir in io.popen("ls /proc"):lines() do
      local cmdline = read("/proc/" .. dir .. "/cmdline")
      if cmdline:find("snare_attach", 1, true)
         and cmdline:find("\0" .. t.pid .. "\0", 1, true) then
        helper = dir
      end
    end
    local parent = read("/proc/" .. helper .. "/status"):match("PPid:%s*(%d+)")
    assert(sh("kill -TERM " .. parent))
    run.wait() -- snare's end; its helper goes on until it has detached
    assert.truthy(eventually(function()
      return read(t.dir .. "/attach.err"):find("detached from process "
                                               .. t.pid, 1, true)
    end))
    send(t, "2")
    assert.are.equal(0, finish(t))
    assert.truthy(output(t):find("bye total 2", 1, true))
  end)

  it("gives back the vector registers of the thread it borrowed", function()
    -- The only thread runs its own code, xmm0-xmm15 in use, when the
    -- injection borrows it to call dlopen; the kernel takes a vector
    -- state back only whole (with AMX's tiles, 11 KiB).
    local t = start("attach_vectors")
    send(t, "go")
    assert.truthy(eventually(function()
      return read("/proc/" .. t.pid .. "/stat"):match("^%d+ %(.-%) R")
    end))
    local script = tmpfile("print('inside')\n")
    local out, errors, status = attach(t, "exec " .. script)
    os.remove(script)
    assert.are.equal(0, status, errors)
    assert.are.equal("inside\n", out)
    assert.falsy(errors:find("could not", 1, true), errors)
    assert(sh("kill -USR1 " .. t.pid))
    assert.are.equal(0, finish(t))
    assert.are.equal("ready\nvectors kept\n", output(t))
  end)

  it("runs a script inside the process (exec) with snare's own output",
     function()
    local t = start("attach_counter")
    local script = tmpfile([[
local agent = require "snare.agent"
print("mode", agent.mode, agent.thread ~= nil, table.unpack(agent.args))
io.stderr:write("to snare's stderr\n")
]])
    local out, errors, status = attach(t, "exec " .. script .. " a b")
    os.remove(script)
    assert.are.equal(0, status, errors)
    assert.are.equal("mode\tattach\ttrue\ta\tb\n", out)
    assert.truthy(errors:find("to snare's stderr\n", 1, true))
    assert.are.equal(0, finish(t))
    assert.are.equal("ready\nbye total 0\n", output(t))
    assert.are.equal("", read(t.dir .. "/err"))
  end)

  it("ends with the program's exit status when it exits while attached",
     function()
    local t = start("attach_counter")
    local run = attach_background(t, "profile -f counts")
    assert.truthy(run.attached())
    send(t, "5")
    assert(eventually(function() return output(t):find("total 5") end))
    sh("kill " .. read(t.dir .. "/writer"):match("%d+"))
    local _, errors, status = run.wait()
    assert.are.equal(0, status, errors)
    assert.truthy(errors:find("\n5 tick\n", 1, true), errors)
    assert.are.equal(0, finish(t))
  end)

  it("ends cleanly when the program execs while attached", function()
    local t = start("attach_counter")
    local run = attach_background(t, "profile -f counts")
    assert.truthy(run.attached())
    send(t, "5")
    assert(eventually(function() return output(t):find("total 5") end))
    send(t, "exec")
    local _, errors, status = run.wait()
    assert.are.equal(0, status, errors)
    assert.truthy(errors:find("\n5 tick\n", 1, true), errors) -- the report
    assert.truthy(errors:find("replaced its program (exec)", 1, true), errors)
    assert.are.equal(0, finish(t))
    assert.are.equal("ready\nticked 5 total 5\nexeced\n", output(t))
  end)

  it("is snare.attach(pid, script) from Lua", function()
    local snare = require "snare"
    local t = start("attach_counter")
    local result = os.tmpname()
    local script = tmpfile(([[
local agent = require "snare.agent"
local f = assert(io.open(%q, "w"))
f:write(agent.mode, " ", agent.args[1], "\n")
f:close()
]]):format(result))
    assert.are.equal(0, snare.attach(t.pid, script, { args = { "x" } }))
    assert.are.equal("attach x\n", read(result))
    os.remove(script)
    os.remove(result)
    assert.has_error(function() snare.attach(0, script) end,
                     "snare.attach: pid must be a process id")
    assert.are.equal(0, finish(t))
  end)

  it("works at the prompt inside the process until detach", function()
    local t = start("attach_counter")
    local commands = tmpfile("break tick\ninfo breakpoints\ndetach\n")
    local out, errors, status = attach(t, "debug < " .. commands)
    os.remove(commands)
    assert.are.equal(0, status, errors)
    assert.truthy(out:find("Attached to process " .. t.pid, 1, true), out)
    assert.truthy(out:find("Breakpoint 1 at", 1, true), out)
    assert.truthy(out:find("Detaching from process", 1, true), out)
    send(t, "2")
    assert.are.equal(0, finish(t))
    assert.truthy(output(t):find("bye total 2", 1, true))
  end)

  describe("refuses", function()
    it("under kernel.yama.ptrace_scope 3, saying what to do", function()
      local t = start("attach_counter")
      local scope = tmpfile("3\n")
      local _, errors, status = attach(t, "profile --duration 1",
                                       "SNARE_PTRACE_SCOPE_FILE=" .. scope)
      os.remove(scope)
      assert.are.equal(3, status)
      assert.truthy(errors:find("kernel.yama.ptrace_scope is 3: no process "
                                .. "may trace until the next reboot", 1, true),
                    errors)
      assert.are.equal(0, finish(t))
      assert.are.equal("ready\nbye total 0\n", output(t))
    end)

    it("a process of another user", function()
      local t = start("attach_counter", "", "65534") -- nobody
      local _, errors, status = attach(t, "profile --duration 1")
      assert.are.equal(3, status)
      assert.truthy(errors:find("it runs as uid 65534, snare as uid 0", 1,
                                true), errors)
      assert.truthy(errors:find("run snare as that user", 1, true))
      kill(t)
    end)

    it("a process traced already", function()
      local t = start("attach_counter")
      local tracer = io.popen("strace -p " .. t.pid .. " -o /dev/null "
                              .. "> /dev/null 2>&1 & echo $!")
      local tracer_pid = tracer:read("l")
      tracer:close()
      assert(eventually(function()
        return read("/proc/" .. t.pid .. "/status"):match("TracerPid:%s*[1-9]")
      end))
      local _, errors, status = attach(t, "profile --duration 1")
      sh("kill " .. tracer_pid)
      assert.are.equal(3, status)
      assert.truthy(errors:find("traced already by process", 1, true), errors)
      kill(t)
    end)

    it("a process that is not there", function()
      local _, errors, status = attach({ pid = 999999 }, "profile")
      assert.are.equal(3, status)
      assert.truthy(errors:find("no process 999999", 1, true), errors)
    end)
  end)
end)
