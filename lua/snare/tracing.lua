--- Call tallies, time profiles and call traces over function hooks.
--
-- Counting and timing run in C at every call (a jump to a trampoline
-- where the function's first instructions can move, else a trap); Lua
-- only reads the results. Loaded by `snare` as `snare.tally`,
-- `snare.profile`, `snare.trace` and `snare.hook`.
-- @module snare.tracing
local tracing = {}

-- The module table of `snare`, for symbol lookups; set by `install`.
local snare

--- Turns what the user named into a list of `{name, address}`.
-- A target is a symbol name, an address, a library (all its functions),
-- a function as `lib:functions()` lists it, or a list of those.
-- Raises without a position: `checked` gives it the user's.
local function resolve(who, targets, into)
  into = into or {}
  local kind = type(targets)
  if kind == "string" then
    local address, err = snare.symbol(targets)
    if not address then
      error(("%s: bad targets: %s"):format(who, err), 0)
    end
    into[#into + 1] = { name = targets, address = address }
  elseif math.type(targets) == "integer" then
    into[#into + 1] = { name = snare.describe(targets) or
                        string.format("0x%x", targets), address = targets }
  elseif debug.getmetatable(targets) == snare.core.metatable("snare.library") then
    local ok, functions = pcall(targets.functions, targets) -- closed: raises
    if not ok then
      error(("%s: bad targets: %s"):format(who, functions), 0)
    end
    for _, sym in ipairs(functions) do
      into[#into + 1] = { name = sym.name, address = sym.address }
    end
  elseif kind == "table" and math.type(targets.address) == "integer" then
    into[#into + 1] = { name = targets.name or snare.describe(targets.address),
                        address = targets.address }
  elseif kind == "table" then
    for _, target in ipairs(targets) do
      resolve(who, target, into)
    end
  else
    error(("%s: bad targets (expected a symbol name, an address, a library or a "
           .. "list of them, got %s)"):format(who, kind), 0)
  end
  return into
end

--- Hooks every target with `options`; functions that cannot be hooked
-- (already hooked, not code) are listed in `failed` instead.
local function hook_all(who, targets, options)
  local entries, failed, seen = {}, {}, {}
  for _, target in ipairs(resolve(who, targets)) do
    if not seen[target.address] then
      seen[target.address] = true
      local ok, hook = pcall(snare.core.hook, target.address, options)
      if ok then
        target.hook = hook
        entries[#entries + 1] = target
      else
        failed[#failed + 1] = { name = target.name, error = hook }
      end
    end
  end
  if #entries == 0 then
    local reason = failed[1] and failed[1].error or "the list of targets is empty"
    error(("%s: bad targets: nothing could be hooked: %s"):format(who, reason), 0)
  end
  return entries, failed
end

-- fn(...), its error raised again at the caller of the public function
-- that called `checked` (never at a line of this file).
local function checked(fn, ...)
  local results = table.pack(pcall(fn, ...))
  if not results[1] then
    error(results[2], 3)
  end
  return table.unpack(results, 2, results.n)
end

local Collector = {}
Collector.__index = Collector

--- Removes every hook; the results read so far stay readable.
function Collector:close()
  if self.closed then
    return
  end
  self.final = self:report()
  for _, entry in ipairs(self.entries) do
    entry.hook:remove()
  end
  self.closed = true
end
Collector.__close = Collector.close

--- Zeroes the counters (and forgets trace events read so far).
function Collector:reset()
  assert(not self.closed, "snare: tally/profile is closed")
  for _, entry in ipairs(self.entries) do
    entry.hook:reset()
  end
end

--- One row per function: `{name, address, calls, inclusive_ns, self_ns,
-- trampoline, fallback}` (fallback: why a trap, not a trampoline, is used,
-- e.g. "loops to entry"), most calls first (or most self time, for a profile).
function Collector:report()
  if self.closed then
    return self.final
  end
  local rows = {}
  for _, entry in ipairs(self.entries) do
    local stats = entry.hook:stats()
    stats.name = entry.name
    rows[#rows + 1] = stats
  end
  local key = self.timed and "self_ns" or "calls"
  table.sort(rows, function(a, b)
    if a[key] ~= b[key] then
      return a[key] > b[key]
    end
    return a.name < b.name
  end)
  return rows
end

--- The report as a readable table.
function Collector:__tostring()
  local lines = {}
  if self.timed then
    lines[1] = string.format("%-32s %12s %14s %14s", "function", "calls",
                             "inclusive ms", "self ms")
    for _, row in ipairs(self:report()) do
      lines[#lines + 1] = string.format("%-32s %12d %14.3f %14.3f", row.name,
                                        row.calls, row.inclusive_ns / 1e6,
                                        row.self_ns / 1e6)
    end
  else
    lines[1] = string.format("%-32s %12s", "function", "calls")
    for _, row in ipairs(self:report()) do
      lines[#lines + 1] = string.format("%-32s %12d", row.name, row.calls)
    end
  end
  return table.concat(lines, "\n")
end

--- Counts calls of the targets (names, addresses, libraries, functions as
-- `lib:functions()` lists them, or a list of those).
-- `<close>`-able; `t:report()`, `tostring(t)`, `t:reset()`, `t:close()`;
-- `t.failed` lists what could not be hooked.
-- @return tally
function tracing.tally(targets)
  local entries, failed = checked(hook_all, "snare.tally", targets, nil)
  return setmetatable({ entries = entries, failed = failed }, Collector)
end

--- Measures calls, inclusive time (outermost activations, so recursion
-- is not counted twice) and self time per function.
-- @return profile (as `tally`, rows sorted by self time)
function tracing.profile(targets)
  local entries, failed = checked(hook_all, "snare.profile", targets,
                                  { time = true })
  return setmetatable({ entries = entries, failed = failed, timed = true },
                      Collector)
end

local Trace = {}
Trace.__index = Trace

-- Events of all live traces pass through one buffer: read it whole and
-- hand each trace what belongs to it.
local live_traces = setmetatable({}, { __mode = "k" })

local function drain()
  local events, dropped = snare.core.trace_read()
  for trace in pairs(live_traces) do
    trace.dropped = trace.dropped + dropped
  end
  for _, event in ipairs(events) do
    for trace in pairs(live_traces) do
      local name = trace.names[event.hook]
      if name then
        event.name = name
        trace.events[#trace.events + 1] = event
      end
    end
  end
end

--- The call records so far, in entry order: `{thread, depth, name,
-- address, start_ns, duration_ns}` (`duration_ns` nil while running).
function Trace:report()
  if live_traces[self] then
    drain()
  end
  local records, open = {}, {}
  for _, event in ipairs(self.events) do
    local stack = open[event.thread] or {}
    open[event.thread] = stack
    if event.exit then
      -- The innermost open call of that function at that depth: calls on
      -- the stacks of different coroutines end in no stack order.
      for i = #stack, 1, -1 do
        local record = stack[i]
        if record.depth == event.depth and record.name == event.name then
          table.remove(stack, i)
          record.duration_ns = event.time_ns - record.start_ns
          break
        end
      end
    else
      local record = { thread = event.thread, depth = event.depth,
                       name = event.name, address = event.address,
                       start_ns = event.time_ns }
      records[#records + 1] = record
      stack[#stack + 1] = record
    end
  end
  return records
end

--- Moves the events recorded so far out of the buffer all traces share
-- (65536 events; when it is full, new events are lost and counted in
-- `dropped`) into this trace. Call it now and then during long runs;
-- `report` and `close` do it too.
function Trace:poll()
  if live_traces[self] then
    drain()
  end
end

--- The calls as an indented trace, one line a call, with durations.
function Trace:__tostring()
  local lines = {}
  for _, record in ipairs(self:report()) do
    local duration = record.duration_ns and
                     string.format("%10.3f us", record.duration_ns / 1e3) or
                     string.format("%13s", "(running)")
    lines[#lines + 1] = string.format("%s [%d] %s%s()", duration,
                                      record.thread,
                                      string.rep("  ", record.depth),
                                      record.name)
  end
  if self.dropped > 0 then
    lines[#lines + 1] = string.format("(%d events lost: the buffer overflowed)",
                                      self.dropped)
  end
  return table.concat(lines, "\n")
end

--- Stops tracing; what was recorded stays readable.
function Trace:close()
  if live_traces[self] then
    drain()
    live_traces[self] = nil
    for _, entry in ipairs(self.entries) do
      entry.hook:remove()
    end
  end
end
Trace.__close = Trace.close

--- Records an indented call trace of the targets, with times.
-- `<close>`-able; `tr:report()`, `tostring(tr)`, `tr:close()`.
-- @return trace
function tracing.trace(targets)
  local entries, failed = checked(hook_all, "snare.trace", targets,
                                  { trace = true })
  local trace = setmetatable({ entries = entries, failed = failed, names = {},
                               events = {}, dropped = 0 }, Trace)
  for _, entry in ipairs(entries) do
    trace.names[entry.hook.id] = entry.name
  end
  live_traces[trace] = true
  return trace
end

--- Calls `fn(call)` at every entry of `target` (and exit, with
-- `{exit = true}`), on the calling thread. `call` has `address`, `exit`,
-- `depth`, `thread`, `args` (entry: six integer argument registers) and
-- `return_value` (exit). The same `call` table is refilled for every call
-- (a new table per call would cost more than the rest of the hook):
-- copy what you keep. The callback runs only on threads of a session
-- while its controller waits in a call; other calls are counted in
-- `hook:stats().skipped`. Errors are counted, not raised
-- (`stats().errors`, `stats().last_error`). The hook is `<close>`-able.
-- @return hook
function tracing.hook(target, fn, options)
  local resolved = checked(resolve, "snare.hook", target)
  if #resolved ~= 1 then
    error("snare.hook: bad target (expected one function)", 2)
  end
  if type(fn) ~= "function" then
    error("snare.hook: bad argument 'fn' (expected a callback function)", 2)
  end
  local address = resolved[1].address
  local hook = checked(snare.core.hook, address,
                       { callback = fn, on_exit = options and options.exit })
  return hook -- no tail call: `checked` blames the caller of this function
end

--- Adds these functions to the snare module table.
function tracing.install(module)
  snare = module
  module.tally = tracing.tally
  module.profile = tracing.profile
  module.trace = tracing.trace
  module.hook = tracing.hook
end

return tracing
