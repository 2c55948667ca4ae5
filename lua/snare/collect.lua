--- Profiles and traces of a whole run, written in the `snare` command's
-- output formats: what `snare profile` and `snare trace` do, on a library
-- function or inside a program (see `snare.agent`).
--
-- Formats:
--
-- * "table": calls, inclusive and self time per called function
--   (`snare.profile`);
-- * "text": the indented call trace (`snare.trace`);
-- * "folded": one `caller;callee;... VALUE` line per distinct call stack,
--   for flame graph tools; VALUE is the number of calls made with exactly
--   that stack ("calls", the default: exact, no sampling), or their self
--   time in nanoseconds ("ns");
-- * "chrome": Chrome trace JSON (Perfetto, chrome://tracing): a begin
--   and an end event per call, ts in microseconds, tid = snare thread id;
-- * "svg": a flame graph of the folded stacks (`snare.flamegraph`);
-- * "counts": one `CALLS NAME` line per hooked function, uncalled ones
--   too, sorted by name: for comparing call counts with another tool.
--
-- Every format but "table" and "counts" needs call records, so it traces.
-- @module snare.collect
local snare = require "snare"
local flamegraph = require "snare.flamegraph"

local collect = {}

--- The functions of a library to hook: those with DWARF information when
-- it has any (its own code, not start-up pieces of the C runtime), else
-- every function `lib:functions()` lists: its ELF function symbols, and
-- in a stripped object the functions of its unwind table
-- ("sub_<address>").
-- @return list of `{name, address, ...}` as `lib:functions()`
function collect.functions(lib)
  local all, with_dwarf = lib:functions(), {}
  for _, fn in ipairs(all) do
    if lib:function_info(fn.name) then
      with_dwarf[#with_dwarf + 1] = { name = fn.name, address = fn.address }
    end
  end
  return #with_dwarf > 0 and with_dwarf or all
end

collect.formats = { table = true, text = true, folded = true, chrome = true,
                    svg = true, counts = true }

-- Formats made from per-function counters alone, without call records.
local counted = { table = true, counts = true }

local Run = {}
Run.__index = Run

-- What a run collects when nothing could be hooked: the program still
-- runs, and the report is empty.
local nothing = { entries = {}, failed = {}, dropped = 0 }
function nothing.report()
  return {}
end
function nothing.poll()
end
setmetatable(nothing, { __tostring = function()
  return ""
end })

--- Starts collecting on `functions` for `format` (see above). When none
-- can be hooked, the run collects nothing and `run.unhooked` says why.
-- @return a run: `run:calls()`, `run:write(file, value)`, `run:summary()`
function collect.start(functions, format)
  assert(collect.formats[format], "snare.collect: unknown format")
  local targets = {}
  for i, fn in ipairs(functions) do
    targets[i] = { name = fn.name, address = fn.address }
  end
  local run = setmetatable({ format = format, collector = nothing }, Run)
  if #targets == 0 then
    run.unhooked = "no function symbols and no unwind table"
    return run
  end
  local ok, collector = pcall(counted[format] and snare.profile
                              or snare.trace, targets)
  if ok then
    run.collector = collector
  else
    run.unhooked = tostring(collector):match("nothing could be hooked: (.*)")
                   or tostring(collector)
  end
  return run
end

-- "why: n, why: n" of a {why = n} count, most frequent first.
local function reasons(counts)
  local keys = {}
  for key in pairs(counts) do
    keys[#keys + 1] = key
  end
  table.sort(keys, function(a, b)
    if counts[a] ~= counts[b] then
      return counts[a] > counts[b]
    end
    return a < b
  end)
  for i, key in ipairs(keys) do
    keys[i] = ("%s: %d"):format(key, counts[key])
  end
  return table.concat(keys, ", ")
end

--- One line saying what the run hooked and how: "hooked 1473 functions:
-- 1450 jump, 23 trap (loops to entry: 20, ...); 3 not hooked (already
-- hooked: 3)" (trap reasons: the hooks' `fallback`), or why nothing was
-- hooked ("nothing hooked (no function symbols and no unwind table)").
function Run:summary()
  if self.unhooked then
    return ("nothing hooked (%s)"):format(self.unhooked)
  end
  local jumps, traps, fallbacks = 0, 0, {}
  for _, entry in ipairs(self.collector.entries) do
    local stats = entry.hook:stats()
    if stats.trampoline then
      jumps = jumps + 1
    else
      traps = traps + 1
      if stats.fallback then -- why the jump did not fit
        fallbacks[stats.fallback] = (fallbacks[stats.fallback] or 0) + 1
      end
    end
  end
  local line = ("hooked %d functions: %d jump, %d trap"):format(jumps + traps,
                                                              jumps, traps)
  if next(fallbacks) then
    line = line .. (" (%s)"):format(reasons(fallbacks))
  end
  local failed, why = self.collector.failed, {}
  if #failed > 0 then
    for _, f in ipairs(failed) do
      -- "snare.hook: cannot hook 0x...: REASON": the status message.
      local reason = tostring(f.error):match(": ([^:]+)$") or tostring(f.error)
      why[reason] = (why[reason] or 0) + 1
    end
    line = line .. ("; %d not hooked (%s)"):format(#failed, reasons(why))
  end
  return line
end

--- Calls so far (all hooked functions, all threads).
function Run:calls()
  local total = 0
  for _, entry in ipairs(self.collector.entries) do
    total = total + entry.hook:stats().calls
  end
  return total
end

--- Starts counting again from nothing: what the run recorded so far is
-- dropped (a forked child's report counts the child's calls only).
function Run:restart()
  if self.format == "table" then
    self.collector:reset()
  else
    self.collector:poll()
    self.collector.events = {}
    self.collector.dropped = 0
  end
end

--- Seconds between two `drain` calls. The shared trace buffer holds
-- 65536 events (32768 calls): a traced run that makes calls faster than
-- that loses events, which the report counts ("trace events lost"); its
-- folded stacks then name missing callers "[lost]". Profiles ("table",
-- "counts") count in C and lose nothing.
collect.drain_interval = 0.005

--- Drains between two progress line updates (four a second).
collect.drains_per_progress = 50

--- Moves trace events out of the shared buffer into the run: call it
-- every `drain_interval` seconds during long traced runs.
function Run:drain()
  if not counted[self.format] then
    self.collector:poll()
  end
end

-- "calls" rows of the profile that were called at all, as a table.
local function profile_table(rows)
  local lines = { string.format("%-32s %12s %14s %14s", "function", "calls",
                                "inclusive ms", "self ms") }
  local silent = 0
  for _, row in ipairs(rows) do
    if row.calls > 0 then
      lines[#lines + 1] = string.format("%-32s %12d %14.3f %14.3f", row.name,
                                        row.calls, row.inclusive_ns / 1e6,
                                        row.self_ns / 1e6)
    else
      silent = silent + 1
    end
  end
  if silent > 0 then
    lines[#lines + 1] = string.format("(%d more hooked functions were not "
                                      .. "called)", silent)
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Every hooked function's calls as "CALLS NAME" lines, sorted by name.
local function counts_text(rows)
  local lines = {}
  for i, row in ipairs(rows) do
    lines[i] = string.format("%d %s\n", row.calls, row.name)
  end
  table.sort(lines, function(a, b)
    return a:match(" (.*)") < b:match(" (.*)")
  end)
  return table.concat(lines)
end

--- Folded stacks of trace records: `{["a;b"] = value}`. `value` is
-- "calls" (calls with exactly that stack) or "ns" (their self time;
-- calls still running count zero).
function collect.fold(records, value)
  local stacks, open, folded = {}, {}, {}
  for _, r in ipairs(records) do
    local names = stacks[r.thread] or {}
    local frames = open[r.thread] or {}
    stacks[r.thread], open[r.thread] = names, frames
    for d = #names, r.depth + 1, -1 do
      names[d], frames[d] = nil, nil
    end
    for d = #names + 1, r.depth do -- callers whose events were lost
      names[d] = "[lost]"
    end
    names[r.depth + 1] = r.name
    local node = { key = table.concat(names, ";"),
                   self = r.duration_ns or 0 }
    frames[r.depth + 1] = node
    local parent = frames[r.depth]
    if parent then
      parent.self = parent.self - node.self
    end
    if value == "ns" then
      -- Self time is only final once the children are seen: keep nodes.
      folded[#folded + 1] = node
    else
      folded[node.key] = (folded[node.key] or 0) + 1
    end
  end
  if value == "ns" then
    local sums = {}
    for _, node in ipairs(folded) do
      sums[node.key] = (sums[node.key] or 0) + math.max(node.self, 0)
    end
    return sums
  end
  return folded
end

--- The folded stacks as text, one "stack value" line each, sorted.
function collect.folded_text(records, value)
  local keys, folded = {}, collect.fold(records, value)
  for key in pairs(folded) do
    keys[#keys + 1] = key
  end
  table.sort(keys)
  local lines = {}
  for i, key in ipairs(keys) do
    lines[i] = string.format("%s %d\n", key, folded[key])
  end
  return table.concat(lines)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

--- Chrome trace JSON of trace records: a "B" event at each call's start
-- and an "E" at its end, properly nested per thread (a call still running
-- ends at the last time seen).
function collect.chrome(records, pid)
  local events, last, t0 = {}, 0, nil
  for _, r in ipairs(records) do
    t0 = t0 or r.start_ns
    last = math.max(last, r.start_ns + (r.duration_ns or 0))
  end
  local function event(ph, name, thread, ns)
    events[#events + 1] = string.format(
      '{"name":%s,"ph":"%s","ts":%.3f,"pid":%d,"tid":%d}', json_string(name),
      ph, (ns - t0) / 1e3, pid, thread)
  end
  local open = {}
  local function close_to(thread, depth)
    local frames = open[thread] or {}
    open[thread] = frames
    while #frames > depth do
      local r = table.remove(frames)
      event("E", r.name, r.thread,
            r.duration_ns and r.start_ns + r.duration_ns or last)
    end
    return frames
  end
  for _, r in ipairs(records) do
    local frames = close_to(r.thread, r.depth)
    event("B", r.name, r.thread, r.start_ns)
    frames[#frames + 1] = r
  end
  for thread in pairs(open) do
    close_to(thread, 0)
  end
  return '{"traceEvents":[\n' .. table.concat(events, ",\n")
         .. '\n],"displayTimeUnit":"ns"}\n'
end

--- Whether the run's format is read by people (table, text), not tools:
-- snare's own notes may then stand in the report itself.
function Run:readable()
  return self.format == "table" or self.format == "text"
end

--- Writes the report to `file` (an open file) in the run's format;
-- `value` ("calls" or "ns") for folded stacks and SVG; `pid` for Chrome.
-- The `summary` line heads the reports people read; for the others it is
-- one of `notes()`.
function Run:write(file, value, pid)
  local format = self.format
  if self:readable() then
    file:write("snare: ", self:summary(), "\n")
  end
  if format == "table" then
    file:write(profile_table(self.collector:report()))
    return
  elseif format == "counts" then
    file:write(counts_text(self.collector:report()))
    return
  end
  local records = self.collector:report()
  if format == "text" then
    file:write(tostring(self.collector), "\n")
  elseif format == "folded" then
    file:write(collect.folded_text(records, value))
  elseif format == "chrome" then
    file:write(collect.chrome(records, pid or 0))
  else
    file:write(flamegraph.svg(collect.folded_text(records, value),
                              { unit = value == "ns" and "ns" or "calls" }))
  end
end

--- What snare has to say about the run besides its report, as lines
-- without the "snare: " prefix: the summary where the report cannot hold
-- it (unless `summary_too` is false: a report tools read on stderr, which
-- the line would break), and trace events the buffer lost.
function Run:notes(summary_too)
  local notes = {}
  if summary_too ~= false and not self:readable() then
    notes[#notes + 1] = self:summary()
  end
  local dropped = self.collector.dropped or 0
  if dropped > 0 then
    notes[#notes + 1] = ("%d trace events lost (the buffer overflowed)")
                        :format(dropped)
  end
  return notes
end

--- A progress line on stderr ("12345 calls, 3 s"), rewritten in place;
-- `progress_done()` erases it. Call it a few times a second at most.
function collect.progress(run, elapsed)
  io.stderr:write(string.format("\r\27[K%d calls, %d s", run:calls(), elapsed))
  io.stderr:flush()
end

function collect.progress_done()
  io.stderr:write("\r\27[K")
end

return collect
