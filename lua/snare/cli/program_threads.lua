--- The threads of a program under `snare debug -- PROG`, as the prompt
-- drives them: gdb's all-stop model over snare's events.
--
-- The prompt's commands drive `dbg.session` as a session whose worker is
-- stopped (`stopped`, `reg`, `frame`, `backtrace`, `step_line`, `next`,
-- `finish`, `continue`...). Here that object is a view of the selected
-- program thread: a thread parked at a stop (a breakpoint, a step, a
-- fault, a break request), read and stepped through the per-thread
-- functions of the session (`s:thread_frame`, `s:thread_step_line`...).
-- Everything else (breakpoints, watchpoints, calls on the session's own
-- worker) goes to the agent's session itself.
--
-- All-stop, as gdb: when a thread stops, every other running thread is
-- asked to stop too (a break request each), so that `info threads` and
-- `thread N` find every thread parked with a frame; `continue` resumes
-- them all. While the selected thread steps, the others run too and are
-- stopped again when the step ends (gdb's `set scheduler-locking
-- replay`, off for a live program: a step that waits for a lock another
-- thread holds does not hang); a stop of another thread meanwhile ends
-- the step and is the one shown. `scheduler_locking` "on" keeps the
-- others parked for every command, "step" for step, next and stepi.
-- @module snare.cli.program_threads

local snare = require "snare"

local Threads = {}

local function give_number(self, id)
  self.count = self.count + 1
  self.numbers[id], self.ids[self.count] = self.count, id
end

-- The order threads were created in: their kernel ids, which grow, when
-- known, else snare's, which grow in the order threads attached (each
-- thread attaches itself as it starts: not always in creation order).
local function age(self, id)
  return tonumber((self:target(id) or ""):match("LWP (%d+)")) or id
end

-- gdb's thread numbers (1 the main thread, then in order of creation)
-- for snare's thread ids: a thread is numbered after the live ones
-- created before it.
local function number_of(self, id)
  if not self.numbers[id] then
    local older, mine = {}, age(self, id)
    for _, t in ipairs(self.session:threads()) do
      if not t.worker and not self.numbers[t.id] and t.id ~= id
         and age(self, t.id) < mine then
        older[#older + 1] = t.id
      end
    end
    table.sort(older, function(a, b) return age(self, a) < age(self, b) end)
    for _, other in ipairs(older) do
      give_number(self, other)
    end
    give_number(self, id)
  end
  return self.numbers[id]
end

-- Event types whose thread stays parked with a frame.
local parks = { ["hard-breakpoint"] = true, ["soft-breakpoint"] = true,
                ["user-breakpoint"] = true, watchpoint = true, fault = true }

local stop_kinds = { ["hard-breakpoint"] = "breakpoint",
                     ["soft-breakpoint"] = "step",
                     ["user-breakpoint"] = "interrupt",
                     watchpoint = "watchpoint", fault = "signal" }

--- A stop (as `s:continue` returns them, what snare.cli.report shows)
-- made of event `ev`.
function Threads.stop_of(ev)
  local stop = {
    kind = stop_kinds[ev.type], thread = ev.thread, pc = ev.pc,
    breakpoint_id = ev.breakpoint_id, breakpoint = ev.breakpoint,
    error = ev.error, watchpoint_id = ev.watchpoint_id,
    old_value = ev.old_value, new_value = ev.new_value,
    signal = ev.signal, signal_number = ev.data1,
    reason = ev.reason or (ev.type == "fault" and ev.signal or ""),
    regs = ev.regs,
  }
  local line = ev.pc and snare.line_at(ev.pc)
  if line then
    stop.file, stop.line = line.file, line.line
    stop.func = line["function"] or snare.describe(ev.pc)
  end
  return stop
end

--- Makes the threads object over `session` (the agent's), with
-- `main` (snare's id of the program's main thread, parked at attach).
-- `out(line)` tells of threads that start and end, as gdb does;
-- `tid_offset` is where glibc keeps a thread's LWP id in its pthread
-- (libc's `_thread_db_pthread_tid`, which libthread_db reads), or nil.
function Threads.new(session, main, out, tid_offset)
  local self = setmetatable({
    session = session, out = out or function() end, tid_offset = tid_offset,
    targets = {},  -- id -> "Thread 0x... (LWP n)", kept for its end
    numbers = {}, ids = {}, count = 0,
    parked = {},   -- id -> true: parked with a frame, ours to resume
    pending = {},  -- events taken while stopping the others, in order
    selected = nil,
    scheduler_locking = "replay", -- gdb's default
    first_resume = main, -- parked at attach: no frame, resumed in the wait
  }, { __index = Threads })
  number_of(self, main)
  return self
end

--- gdb's number of snare thread `id`.
function Threads:number(id)
  return number_of(self, id)
end

--- Snare's id of gdb's thread number `n`, or nil.
function Threads:id(n)
  return self.ids[n]
end

--- "Thread 0x7f... (LWP 1234)": the thread as gdb names it (its
-- pthread_t, the kernel's thread id when glibc's layout is known), or
-- nil when snare does not know its pthread_t (it ended already).
function Threads:target(id)
  local known = self.targets[id]
  if known then
    return known
  end
  local native = self.session:thread_native(id)
  if not native or native == 0 then -- gone already, or not yet known
    return nil
  end
  local lwp = self.tid_offset and snare.read_u32(native + self.tid_offset)
  if not lwp or lwp == 0 then
    return string.format("Thread 0x%x", native)
  end
  self.targets[id] = string.format("Thread 0x%x (LWP %d)", native, lwp)
  return self.targets[id]
end

--- The thread's name (its kernel `comm`), or nil.
function Threads:name(id)
  local lwp = (self:target(id) or ""):match("LWP (%d+)")
  local f = lwp and io.open("/proc/self/task/" .. lwp .. "/comm")
  local name = f and f:read("l")
  if f then
    f:close()
  end
  return name
end

--- Takes an event into the bookkeeping (a parked thread is remembered;
-- threads are numbered when first shown, once the threads created
-- before them have attached too). Returns it.
function Threads:note(ev)
  -- news of threads as gdb's, for those whose pthread_t is known (a
  -- thread that ended before its attach was taken is not told of)
  local target = (ev.type == "attach" or ev.type == "detach")
    and self:target(ev.thread)
  if ev.type == "attach" and ev.thread ~= self.ids[1] then
    self.many = true -- the program has had threads: gdb names them at stops
    if target then
      self.out(string.format("[New %s]", target))
    end
  elseif ev.type == "detach" and target then
    self.out(string.format("[%s exited]", target))
  end
  if parks[ev.type] then
    self.parked[ev.thread] = true
  elseif ev.type == "detach" then
    self.parked[ev.thread] = nil
    if self.selected == ev.thread then
      self.selected = nil
    end
  end
  return ev
end

-- Asks every running program thread to stop and waits (a little) for
-- their break events; other stops that come meanwhile are kept for the
-- next resume, as gdb reports them then.
function Threads:stop_others()
  local asked = {}
  for _, t in ipairs(self.session:threads()) do
    if not t.worker and t.state == "running" and not self.parked[t.id]
       and self.session:thread_break(t.id) then
      asked[t.id] = true
    end
  end
  local waiting = next(asked) ~= nil
  while waiting do
    local ev = self.session:wait_event(1000)
    if not ev then
      break
    end
    self:note(ev)
    if ev.type == "user-breakpoint" and asked[ev.thread] then
      asked[ev.thread] = nil
    elseif ev.type == "detach" then
      asked[ev.thread] = nil
    elseif ev.type ~= "attach" then
      self.pending[#self.pending + 1] = ev
    end
    waiting = next(asked) ~= nil
  end
  -- stops posted before the break requests (a thread that was parked
  -- already), kept for the next resume too
  while true do
    local ev = self.session:wait_event(0)
    if not ev then
      break
    end
    self:note(ev)
    if ev.type ~= "attach" and ev.type ~= "detach" then
      self.pending[#self.pending + 1] = ev
    end
  end
end

--- True when the other threads stay parked while the selected one
-- runs for `what`: "step" (step, next, stepi) or "run" (continue,
-- finish, until, advance), as gdb's `set scheduler-locking` says.
function Threads:locked(what)
  local mode = self.scheduler_locking
  return mode == "on" or (mode == "step" and what == "step")
end

-- Resumes every parked thread but `keep`, and but those whose stop is
-- still to be shown (taken while stopping the others): they stay where
-- that stop says they are.
local function resume_others(self, keep)
  local still = { [keep] = self.parked[keep] }
  for _, ev in ipairs(self.pending) do
    still[ev.thread] = self.parked[ev.thread]
  end
  for id in pairs(self.parked) do
    if not still[id] then
      self.session:thread_resume(id)
    end
  end
  self.parked = still
end

--- Resumes every parked thread (the selected one inside the wait, so
-- that its conditions can run from its first instruction) and waits for
-- the next event that matters to the prompt: a stop (returned as an
-- event, the others then stopped too), a fault, or the program's end
-- (a "quit" event). Attach and detach events are noted on the way, and
-- so are the stops `self.passes(ev)` (when set) takes and says true of:
-- their thread is resumed at once, nothing of it unwound or shown.
function Threads:resume_and_wait()
  local ev = table.remove(self.pending, 1)
  if not ev then
    local last = self.first_resume or self.selected
    -- (not a selected thread that ended the program in a step: it runs,
    -- unparked by `stepped`)
    local resume = (self.first_resume or self.parked[last]) and last or nil
    self.first_resume = nil
    if self:locked("run") then
      self.parked[last] = nil
    else
      resume_others(self, last)
      self.parked = {}
    end
    repeat
      ev = self:note(self.session:wait_event(-1, resume))
      resume = nil
      local passed = self.passes and parks[ev.type] and self.passes(ev)
      if passed then -- its thread goes on, the others never stopped
        self.parked[ev.thread] = nil
        self.session:thread_resume(ev.thread)
      end
    until ev.type ~= "attach" and ev.type ~= "detach" and not passed
  end
  if parks[ev.type] then
    self.selected = ev.thread
    self:stop_others()
  end
  return ev
end

-- Methods of steps that scheduler-locking "step" keeps the others for.
local stepping = { step_line = true, next = true, step_instruction = true }

-- The end of a step of thread `id` that ended in `stop` while the other
-- threads ran: they are stopped again. When another thread's stop ended
-- the step (the stepped thread was interrupted for it), that stop is
-- the one returned, its thread selected, as gdb shows it.
local function after_running_step(self, id, stop)
  self.parked[id] = true
  self:stop_others()
  if stop.kind ~= "interrupt" then
    return stop
  end
  for i, ev in ipairs(self.pending) do
    if parks[ev.type] and ev.thread ~= id then
      table.remove(self.pending, i)
      self.selected = ev.thread
      return Threads.stop_of(ev)
    end
  end
  return stop
end

-- Runs `go()`, a step of the selected thread returning its stop (through
-- `self.around_step(go, method)` when that is set), with the other threads
-- parked or running as scheduler-locking says. A step
-- that ended in the program's exit leaves its thread unparked: it runs
-- on to the end, and so does every thread that runs (one asked to stop
-- now would stay parked in the exit); the next resume lets them finish.
local function stepped(self, method, go)
  if self.around_step then -- (set by whoever needs it)
    local inner = go
    go = function() return self.around_step(inner, method) end
  end
  local id = self.selected
  local locked = self:locked(stepping[method] and "step" or "run")
  self.session:steps_yield(not locked)
  local stop
  if locked then
    stop = go()
  else
    resume_others(self, id)
    local ok
    ok, stop = pcall(go)
    if not ok then
      self:stop_others()
      error(stop, 0)
    end
  end
  if stop.kind == "exit" then
    self.parked[id] = nil
    return stop
  end
  if locked then
    return stop
  end
  return after_running_step(self, id, stop)
end

--- Steps the selected thread with `s:thread_<method>(id, ...)` and
-- returns the stop where it ended.
function Threads:step(method, ...)
  local args = table.pack(...)
  return stepped(self, method, function()
    return self.session["thread_" .. method](self.session, self.selected,
                                             table.unpack(args, 1, args.n))
  end)
end

-- One instruction of thread `id` (it posts a soft breakpoint event).
local function one_instruction(self, id)
  local ok, why = self.session:thread_resume(id, "step")
  if not ok then
    error(why, 0)
  end
  self.parked[id] = nil
  while true do
    local ev = self:note(self.session:wait_event(-1))
    if ev.thread == id and parks[ev.type] then
      return Threads.stop_of(ev)
    elseif ev.type == "quit" then
      self.pending[#self.pending + 1] = ev
      return { kind = "exit" }
    elseif ev.type ~= "attach" and ev.type ~= "detach" then
      self.pending[#self.pending + 1] = ev
    end
  end
end

--- One instruction of the selected thread; returns the stop.
function Threads:step_instruction()
  local id = self.selected
  return stepped(self, "step_instruction", function()
    return one_instruction(self, id)
  end)
end

--- True when thread `id` is parked with a frame (a stop of its own, or
-- a break request), its event taken or not.
function Threads:has_frame(id)
  return id ~= nil and (pcall(self.session.thread_frame, self.session, id))
end

--- The program's threads, gdb-numbered, in number order: {number =,
-- id =, parked = (has a frame)}.
function Threads:list()
  local list = {}
  for _, t in ipairs(self.session:threads()) do
    if not t.worker then
      list[#list + 1] = { number = number_of(self, t.id), id = t.id,
                          parked = self:has_frame(t.id) }
    end
  end
  table.sort(list, function(a, b) return a.number < b.number end)
  return list
end

return Threads
