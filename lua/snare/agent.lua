--- The controller side of the `snare` agent: what a script run by
-- `snare exec SCRIPT.lua -- PROG ARGS` (or the built-in profile and trace
-- scripts) uses to control the program it runs inside.
--
-- The agent is a shared object preloaded into the program (LD_PRELOAD).
-- Before the program's `main`, it runs the script on a thread of its own;
-- requiring this module creates a session, attaches the program's main
-- thread to it (`agent.thread`) and opens the program itself as a library
-- (`agent.program`), while the program waits. The script then sets its
-- hooks and breakpoints and calls `agent.run`, which lets the program go
-- and returns when it exits or faults:
--
--    local agent = require "snare.agent"
--    local snare = require "snare"
--    local s = agent.session
--    s:breakpoint("fib", {condition = function(f) return f.regs.rdi == 3 end})
--    local how = agent.run{
--      event = function(ev) print("stopped:", ev) end,  -- then resumed
--    }
--    print("program ended by", how)
--
-- The program's exit waits until the script has returned, so a report
-- written after `agent.run` is complete. After a fault the process dies of
-- the same signal once the script returns. Every thread the program
-- creates is attached too (an "attach" event, a "detach" when it ends),
-- so breakpoints stop it and its faults are reported. In a child of
-- fork() nothing is attached and no controller runs: the child works, its
-- hooks count into its own memory, and `agent.on_fork` may report it.
-- @module snare.agent

local ok, core = pcall(require, "snare.agent.core")
if not ok then
  error("snare.agent: only scripts run by the snare agent (snare exec) "
        .. "can use it", 2)
end
local snare = require "snare"

local agent = {}

--- The controller's session (timeout 0: calls and waits are unbounded).
agent.session = snare.session { timeout = 0 }

--- "attach" when `snare attach PID` loaded the agent into the running
-- program (its threads are adopted, running; `agent.run` returns
-- "detach" when snare leaves), "preload" when the program started with
-- it.
agent.mode = core.mode()

if agent.mode == "attach" then
  --- Snare's id of the program's main thread (nil if it has ended).
  agent.thread = core.attach(agent.session:handle())
else
  -- The main thread attaches itself, stopped; `agent.run` resumes it.
  core.attach(agent.session:handle())
  local attach_event = agent.session:wait_event(-1)
  if attach_event.type ~= "attach" then
    error("snare.agent: the program's main thread could not attach itself",
          0)
  end
  agent.thread = attach_event.thread
  core.attached(agent.thread)
end

--- The program as a library (`snare.load_program`).
agent.program = assert(snare.load_program())

--- The directory the program started in (where `snare` ran): relative
-- output paths are meant against it, whatever the program's working
-- directory is when it ends.
agent.start_dir = core.start_dir()

--- How many exec() calls this image is from the program snare started
-- (0 there): an exec is followed with `snare profile --follow-exec`, the
-- new image running the same script with the same arguments.
agent.generation = core.generation()

--- The controller's arguments: the `snare` command's options, or the
-- arguments `snare exec SCRIPT.lua ARGS -- PROG` gave the script.
agent.args = core.args()

--- The program's functions to hook (`snare.collect.functions`): those
-- with DWARF information when it has any, else its ELF function symbols
-- and, where it was stripped, the functions of its unwind table
-- ("sub_<address>"); possibly none.
function agent.functions(lib)
  return require("snare.collect").functions(lib or agent.program)
end

-- Whether the thread of an event is parked and waits to be resumed.
local parks = { ["hard-breakpoint"] = true, ["soft-breakpoint"] = true,
                ["user-breakpoint"] = true, watchpoint = true }

--- Lets the program run and serves its events until it ends.
-- `handlers` (optional): `event(ev)` for each stop of an attached thread
-- (breakpoints, steps, break requests; attach and detach too), after which
-- a parked thread is resumed unless `event` returned "keep" (then resume
-- it yourself); `tick(elapsed_s)` (whole seconds) every `interval` seconds
-- (default 0.25) while nothing happens.
-- @return "exit" (the program called exit, _exit or quick_exit, or
-- returned from main, or its last thread ended after main's
-- pthread_exit), "exec" (it is replaced by another program, which runs
-- without the agent), "detach" (snare attach leaves the program: the
-- end of --duration, Ctrl-C, `detach`), "signal", N (SIGINT, SIGTERM or SIGHUP, which it
-- left at their default action: the process dies of N when the script
-- returns) or "fault", event (an attached thread got a fatal signal:
-- the process dies of it when the script returns)
function agent.run(handlers)
  handlers = handlers or {}
  local s = agent.session
  local interval = math.floor((handlers.interval or 0.25) * 1000)
  local started = os.time()
  -- parked since it attached (adopted threads run)
  local resume = agent.mode ~= "attach" and agent.thread or nil
  core.running() -- snare attach says the program runs with the hooks
  while true do
    local ev = s:wait_event(handlers.tick and interval or -1, resume)
    resume = nil
    if not ev then
      if handlers.tick then
        handlers.tick(os.time() - started)
      end
    elseif ev.type == "quit" then
      local how, signal = core.ending()
      if how then
        return how, how == "signal" and signal or nil
      end
    elseif ev.type == "fault" then
      core.faulted(ev.data1)
      return "fault", ev
    else
      local keep = handlers.event and handlers.event(ev)
      if parks[ev.type] and keep ~= "keep" then
        resume = ev.thread
      end
    end
  end
end

--- Registers `fn(pid)`, called in the child of every `fork()` the
-- program makes, on the thread that forked, before `fork` returns there:
-- the child has no controller (nothing is attached there, its
-- breakpoints never stop it, `agent.run` does not return in it), but its
-- hooks keep counting in its own memory. If `fn` returns a function,
-- that is called when the child ends, with how ("exit" or "exec") and
-- nil; a child that faults or is killed by a signal calls nothing. The
-- fork waits for the controller to be in `agent.run`'s wait (up to 0.2 s,
-- else the child gets no call); a child's own forks get no call either.
function agent.on_fork(fn)
  core.on_fork(fn)
end

--- Describes the stack of an event (a fault's), one frame a line,
-- innermost first: "#0 0x... <inner+8> at crash.c:12".
function agent.backtrace(ev)
  local lines = {}
  for i, pc in ipairs(ev.stack or {}) do
    -- Return addresses point after the call: look the caller's line up
    -- one byte back.
    local at = i == 1 and pc or pc - 1
    local name = snare.describe(pc) or "??"
    local line = snare.line_at(at)
    lines[i] = string.format("#%-2d 0x%x <%s>%s", i - 1, pc, name,
                             line and string.format(" at %s:%d",
                                                    line.file:match("[^/]*$"),
                                                    line.line) or "")
  end
  return table.concat(lines, "\n")
end

return agent
