-- The threads of a program under `snare debug -- PROG`: info threads,
-- thread N, thread apply all|N... COMMAND (snare.cli.program_threads).

local report = require "snare.cli.report"
local source = require "snare.cli.source"
local watch = require "snare.cli.watch"

local function threads_of(dbg, message)
  local threads = dbg.program_threads
  if not threads or not threads.selected then
    dbg:fail(message or "No threads.")
  end
  return threads
end

-- 'Thread 0x7f... (LWP 12) "prog"' (with_name) as gdb's thread lists
-- name a thread.
local function target_id(dbg, id, with_name)
  local threads = dbg.program_threads
  local name = with_name and threads:name(id)
  return (threads:target(id) or ("Thread " .. threads:number(id)))
    .. (name and (' "' .. name .. '"') or "")
end

-- "main () at t.c:20", or with the pc first when it is inside its line:
-- the frame as gdb's info threads shows it.
local function frame_text(frame)
  return (report.stack_frame(frame):gsub("^#%d+%s+", ""))
end

local function frame_of(threads, id)
  local ok, frames = pcall(threads.session.thread_backtrace, threads.session,
                           id)
  return ok and frames[1] or nil
end

-- `info threads [ID...]`: the threads listed (gdb's numbers, ranges and
-- INF.NUM of inferior 1), or all.
local function info_threads(dbg, args)
  local threads = threads_of(dbg)
  local wanted = watch.numbers(dbg, args and args:gsub("%f[%S]1%.", ""))
  local rows = {}
  for _, t in ipairs(threads:list()) do
    if wanted and not wanted[t.number] then
      goto next
    end
    local frame = t.parked and frame_of(threads, t.id)
    rows[#rows + 1] = { mark = t.id == threads.selected and "*" or " ",
                        number = tostring(t.number),
                        target = target_id(dbg, t.id, true),
                        frame = frame and frame_text(frame) or "(running)" }
    ::next::
  end
  if wanted and #rows == 0 then
    dbg:out(string.format("No threads match '%s'.", args))
    return
  end
  local width = #"Target Id"
  for _, r in ipairs(rows) do
    width = math.max(width, #r.target)
  end
  dbg:out(string.format("  Id   %-" .. width .. "s Frame ", "Target Id"))
  for _, r in ipairs(rows) do
    dbg:out(string.format("%s %-4s %-" .. width .. "s %s", r.mark, r.number,
                          r.target, r.frame))
  end
end

-- Selects gdb thread number n: its innermost frame and source line.
local function switch(dbg, n)
  if n < 0 then -- gdb's words for each
    dbg:fail("negative value: %d", n)
  elseif n == 0 then
    dbg:fail("Invalid thread ID: 0")
  end
  local threads = threads_of(dbg, string.format("Unknown thread %d.", n))
  local id = threads:id(n)
  if not id then
    dbg:fail("Unknown thread %d.", n)
  elseif not dbg.program_threads.session:thread_alive(id) then
    dbg:fail("Thread ID %d has terminated.", n)
  end
  if not threads:has_frame(id) then
    dbg:fail("Thread %d is running.", n)
  end
  threads.selected = id
  dbg.frame_index, dbg.listed = 0, nil
  dbg:out(string.format("[Switching to thread %d (%s)]", n,
                        target_id(dbg, id)))
  local frame = frame_of(threads, id)
  if frame then
    dbg:out(report.stack_frame(frame))
    if frame.file and frame.line then
      source.show(function(text) dbg:out(text) end, frame.file, frame.line)
    end
  end
end

-- `thread apply all|N M... COMMAND`: COMMAND in each thread (all: the
-- newest first, as gdb), the selection restored after.
local function apply(dbg, args)
  local threads = threads_of(dbg)
  local which, command = args:match("^(%S+)%s*(.*)$")
  if not which or command == "" then
    dbg:fail("Please specify a command following the thread ID list")
  end
  local numbers = {}
  if which == "all" then
    for _, t in ipairs(threads:list()) do
      table.insert(numbers, 1, t.number)
    end
  else
    local list = args:match("^([%d%s%-]+)%f[%a]") or ""
    command = args:sub(#list + 1)
    for a, b in list:gmatch("(%d+)%-?(%d*)") do
      for n = tonumber(a), tonumber(b ~= "" and b or a) do
        numbers[#numbers + 1] = n
      end
    end
  end
  local before = threads.selected
  for _, n in ipairs(numbers) do
    local id = threads:id(n)
    if threads:has_frame(id) then
      threads.selected = id
      dbg.frame_index = 0
      dbg:out("")
      dbg:out(string.format("Thread %d (%s):", n, target_id(dbg, id, true)))
      dbg:execute(command)
    end
  end
  threads.selected, dbg.frame_index = before, 0
end

return {
  { name = "threads", group = "info", usage = "info threads [ID...]",
    help = "the program's threads and where each is", run = info_threads },
  { name = "thread", aliases = { "t" }, usage = "thread [N | apply ...]",
    help = "select thread N (alone: show the selected one)",
    run = function(dbg, args)
      local rest = args:match("^apply%s+(.*)$")
      if args == "apply" then
        dbg:fail("Please specify a thread ID list")
      elseif rest then
        return apply(dbg, rest)
      end
      if args == "" then
        local threads = threads_of(dbg, "No thread selected")
        local n = threads:number(threads.selected)
        dbg:out(string.format("[Current thread is %d (%s)]", n,
                              target_id(dbg, threads.selected)))
        return
      end
      local n = math.tointeger(tonumber(args))
      if not n then
        dbg:fail("Invalid thread ID: %s", args)
      end
      switch(dbg, n)
    end },
}
