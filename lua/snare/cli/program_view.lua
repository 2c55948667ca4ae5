--- The selected thread of a program as the session the prompt drives
-- (see snare.cli.program_threads): `stopped` while it is parked with a
-- frame, its registers, frames and steps through the session's
-- per-thread functions; `continue` resumes the program's threads and
-- waits for the next stop. What is not about a stopped thread
-- (breakpoints, watchpoints, calls, the timeout) is the agent session's.
-- @module snare.cli.program_view

local Threads = require "snare.cli.program_threads"

local View = {}

local function real(view) return rawget(view, "threads").session end

local function selected(view)
  local threads = rawget(view, "threads")
  local id = threads.selected
  if not threads:has_frame(id) then
    error("The program is not being run.", 0)
  end
  return threads.session, id
end

-- A frame renumbered: the frame object of the core under another index.
local function renumbered(frame, index)
  return setmetatable({ index = index }, {
    __index = function(_, key)
      local v = frame[key]
      if type(v) == "function" then
        return function(_, ...) return v(frame, ...) end
      end
      return v
    end,
    __tostring = function() return tostring(frame) end,
  })
end

-- The frames of the program: snare's own (the agent's start of a thread)
-- are left out, and backtraces end at main, as gdb's do (past-main off);
-- a thread's end in libc (start_thread, clone3) is shown.
local function program_frames(view, frames)
  local hidden = rawget(view, "hidden") or function() return false end
  local shown = {}
  for _, f in ipairs(frames) do
    if not hidden(f.pc) then
      shown[#shown + 1] = f.index == #shown and f or renumbered(f, #shown)
      if f.func == "main" then
        break
      end
    end
  end
  return shown
end

function View.reg(view, name)
  local s, id = selected(view)
  return s:thread_reg(id, name)
end

function View.set_reg(view, name, value)
  local s, id = selected(view)
  s:thread_set_reg(id, name, value)
end

function View.xmm(view, i)
  local s, id = selected(view)
  return s:thread_xmm(id, i)
end

function View.backtrace(view)
  local s, id = selected(view)
  return program_frames(view, s:thread_backtrace(id))
end

function View.frame(view, i)
  local frames = View.backtrace(view)
  i = i or 0
  local f = frames[i + 1]
  if not f then
    return nil, string.format("no frame %d (the stack has %d)", i, #frames)
  end
  return f
end

-- A stop of the program: the event's, the selected thread's now.
local function program_stop(view, ev)
  local on_stop = rawget(view, "on_event")
  if not Threads.stop_of(ev).kind then
    return on_stop(ev) -- the program ended
  end
  return Threads.stop_of(ev)
end

function View.continue(view)
  if not rawget(view, "threads").first_resume then -- before main: none
    selected(view)
  end
  return program_stop(view, rawget(view, "threads"):resume_and_wait())
end

-- A step's stop; a step whose thread ended the program on the way
-- (`next` over exit()) ends as `continue` does at the program's end:
-- the program finishes exiting and its end is shown, as gdb shows it.
local function step_stop(view, stop)
  if stop.kind ~= "exit" then
    return stop
  end
  -- (its thread, unparked by the step, runs on to the end)
  return program_stop(view, rawget(view, "threads"):resume_and_wait())
end

function View.step(view)
  selected(view)
  return step_stop(view, rawget(view, "threads"):step_instruction())
end

for _, method in ipairs { "step_line", "next", "finish", "advance",
                          "until_line" } do
  View[method] = function(view, ...)
    selected(view)
    return step_stop(view, rawget(view, "threads"):step(method, ...))
  end
end

local meta = {
  __index = function(view, key)
    if key == "stopped" then
      local threads = rawget(view, "threads")
      return threads:has_frame(threads.selected)
    end
    local own = View[key]
    if own then
      return own
    end
    local s = real(view)
    local v = s[key]
    if type(v) == "function" then
      return function(_, ...) return v(s, ...) end
    end
    return v
  end,
  __newindex = function(view, key, value)
    real(view)[key] = value
  end,
}

--- The view over `threads` (a snare.cli.program_threads). `on_event(ev)`
-- is called with an event that is no stop (the program's end) and
-- returns the stop `continue` returns then; `hidden(pc)` is true for
-- snare's own code, whose frames are not shown.
function View.new(threads, on_event, hidden)
  return setmetatable({ threads = threads, on_event = on_event,
                        hidden = hidden }, meta)
end

return View
