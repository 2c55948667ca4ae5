--- The stops of a running process's own threads at the `snare attach
-- PID debug` prompt.
--
-- The prompt (snare.cli.debugger) drives one session the way `snare
-- debug` drives its worker: `stopped`, `reg`, `frame`, `continue`,
-- `step`... A view made here stands in for the agent's session. While
-- one of the program's threads is parked at a stop (the current one),
-- those calls act on that thread (s:thread_reg, s:thread_frame,
-- s:thread_resume, s:thread_step_line...); `continue` resumes it and
-- waits for the next stop of any thread, as gdb's all-threads continue
-- reports the next stop. With none parked, `continue` waits for a stop
-- (after `break` at the prompt, the program runs on meanwhile: it was
-- never stopped). Everything else goes to the session itself.
-- @module snare.cli.attached_stops

local core = require "snare.agent.core"

local attached_stops = {}

-- Events that park a thread, and the kind of stop the prompt shows.
local kinds = {
  ["hard-breakpoint"] = "breakpoint",
  watchpoint = "watchpoint",
  ["soft-breakpoint"] = "step",
  ["user-breakpoint"] = "interrupt",
  fault = "signal",
}

local WAIT_MS = 250

--- A view of `session` for the prompt (see the module's description).
function attached_stops.view(session)
  local view, state, own = {}, {}, {}

  -- A thread's event as the stop the prompt shows: where its frame 0 is.
  local function stop_of(ev)
    local stop = {}
    for k, v in pairs(ev) do
      stop[k] = v
    end
    stop.kind = ev.watchpoint_id and ev.type == "hard-breakpoint"
      and "watchpoint" or kinds[ev.type]
    stop.reason = ev.reason or (ev.type == "fault" and "fault") or ""
    local frame = session:thread_frame(ev.thread, 0)
    if frame then
      stop.pc, stop.file, stop.line, stop.func = frame.pc, frame.file,
        frame.line, frame.func
    end
    stop.func = stop.func or ev.name
    return stop
  end

  --- Resumes thread `resume` (if any) and waits for the next stop of a
  -- thread of the program, which becomes the current one; nil when snare
  -- detaches or the program ends meanwhile. A fatal signal ends the
  -- prompt: the process dies of it when the agent ends.
  function own.wait_stop(_, resume)
    state.current = nil
    while not core.ending() do
      local ev = session:wait_event(WAIT_MS, resume)
      resume = nil
      local kind = ev and kinds[ev.type]
      if kind then
        if ev.type == "fault" then
          core.faulted(ev.data1)
          state.faulted = true
        end
        state.current = ev.thread
        return stop_of(ev)
      end
    end
    return nil
  end

  -- A method acting on the current thread when there is one, else on
  -- the session (its worker).
  local function on_current(thread_fn, session_fn)
    return function(_, ...)
      if state.current then
        return thread_fn(state.current, ...)
      end
      return session[session_fn](session, ...)
    end
  end

  local function checked(value, why)
    if value == nil and why then
      error(why, 0)
    end
    return value
  end

  own.reg = on_current(function(id, name)
    return checked(session:thread_reg(id, name))
  end, "reg")
  own.set_reg = on_current(function(id, name, value)
    return checked(session:thread_set_reg(id, name, value))
  end, "set_reg")
  own.frame = on_current(function(id, i)
    return session:thread_frame(id, i)
  end, "frame")
  own.backtrace = on_current(function(id)
    return session:thread_backtrace(id)
  end, "backtrace")
  own.step_line = on_current(function(id)
    return session:thread_step_line(id)
  end, "step_line")
  own.next = on_current(function(id)
    return session:thread_next(id)
  end, "next")
  own.finish = on_current(function(id)
    return session:thread_finish(id)
  end, "finish")
  own.step = on_current(function(id)
    checked(session:thread_resume(id, "step"))
    return own.wait_stop(view)
  end, "step")
  own.abort = on_current(function()
    error("An attached thread cannot be killed; `continue` or `detach`.", 0)
  end, "abort")

  --- gdb's continue: the current thread resumes, the next stop of any
  -- thread is the answer; the worker's own stop continues as in `snare
  -- debug`; with nothing stopped, the next stop.
  function own.continue()
    if not state.current and session.stopped then
      return session:continue()
    end
    return own.wait_stop(view, state.current)
  end

  --- Detaching: no breakpoint or watchpoint stops a thread any more,
  -- then every parked thread runs on, and so does one that was stopping
  -- as they went (its event comes within the wait). A thread resumed at
  -- a breakpoint runs the instruction the trap replaced out of line and
  -- is back in the program's code within a few instructions. (Stepping
  -- each past that instruction first, to be sure none is still in snare's
  -- code when the session goes, lost connections of the echo server
  -- under load: the stepped threads came back with a failed write.)
  function own.release()
    session:clear_breakpoints()
    for _, wp in ipairs(session:watchpoints()) do
      wp:clear()
    end
    for _, t in ipairs(session:threads()) do
      if t.state == "stopped" and not t.worker then
        session:thread_resume(t.id)
      end
    end
    local deadline = os.time() + 1
    while os.time() <= deadline do
      local ev = session:wait_event(WAIT_MS)
      if ev and kinds[ev.type] then
        session:thread_resume(ev.thread)
      end
    end
    state.current = nil
  end

  return setmetatable(view, {
    __index = function(_, key)
      if key == "stopped" then
        return state.current ~= nil or session.stopped
      elseif key == "current" or key == "faulted" then
        return state[key]
      end
      local method = own[key]
      if method then
        return method
      end
      local value = session[key]
      if type(value) == "function" then
        return function(_, ...) return value(session, ...) end
      end
      return value
    end,
    __newindex = function(_, key, value) session[key] = value end,
  })
end

return attached_stops
