--- What `snare report`, `replay`, `graph` and `dump` show of a recording
-- (`snare.recording.data`), in uftrace's layouts: the same columns, the
-- same duration format, so their outputs compare line by line.
-- @module snare.recording.views
local dumps = require "snare.recording.dumps"

local views = {}

--- A duration as uftrace prints it: "  1.042 us", "  3.217 ms",
-- "  1.500  s" (truncated, not rounded, to three decimals).
function views.duration(ns)
  local units = { { 1000000000, " s" }, { 1000000, "ms" }, { 1000, "us" } }
  for i, unit in ipairs(units) do
    if ns >= unit[1] or i == #units then
      local scale = unit[1]
      return string.format("%3d.%03d %s", ns // scale,
                           (ns % scale) // (scale // 1000), unit[2])
    end
  end
end

-- Per function of every selected thread: {calls, total_ns, self_ns,
-- min_ns, max_ns}, summed over threads; and the events and losses.
local function profile(rec, opts, threads)
  local rows, events, lost = {}, 0, 0
  for _, thread in ipairs(threads or rec:selected_threads(opts.filters)) do
    local reader = assert(rec:reader(thread, opts.filters))
    local per, n, gone = reader:profile()
    events, lost = events + n, lost + gone
    for id, t in pairs(per) do
      local row = rows[id]
      if not row then
        rows[id] = { id = id, name = rec:name(id), calls = t.calls,
                     total_ns = t.total_ns, self_ns = t.self_ns,
                     sum_ns = t.sum_ns, min_ns = t.min_ns, max_ns = t.max_ns }
      else
        row.calls = row.calls + t.calls
        row.total_ns = row.total_ns + t.total_ns
        row.self_ns = row.self_ns + t.self_ns
        row.sum_ns = row.sum_ns + t.sum_ns
        row.min_ns = math.min(row.min_ns, t.min_ns)
        row.max_ns = math.max(row.max_ns, t.max_ns)
      end
    end
  end
  local list = {}
  for _, row in pairs(rows) do
    row.avg_ns = row.calls > 0 and row.sum_ns // row.calls or 0
    list[#list + 1] = row
  end
  return list, events, lost
end
views.profile = profile

local sort_field = { total = "total_ns", self = "self_ns", call = "calls",
                     avg = "avg_ns", min = "min_ns", max = "max_ns" }

local function sort_rows(rows, keys)
  table.sort(rows, function(a, b)
    for _, key in ipairs(keys) do
      if key == "func" then
        if a.name ~= b.name then
          return a.name < b.name
        end
      else
        local field = sort_field[key]
        if a[field] ~= b[field] then
          return a[field] > b[field]
        end
      end
    end
    return a.name < b.name
  end)
end

local function lost_note(lost)
  return lost > 0 and string.format("# %d events were lost: the counts are "
                                    .. "short\n", lost) or ""
end

--- uftrace report's table with avg/min/max added.
function views.report(rec, opts)
  local rows, _, lost = profile(rec, opts)
  sort_rows(rows, opts.sort or { "total" })
  local lines = {
    "  Total time   Self time       Calls     Avg total   Min total   "
    .. "Max total  Function",
    "  ==========  ==========  ==========  ==========  ==========  "
    .. "==========  ====================",
  }
  for _, row in ipairs(rows) do
    lines[#lines + 1] = string.format("  %10s  %10s  %10d  %10s  %10s  %10s  %s",
                                      views.duration(row.total_ns),
                                      views.duration(row.self_ns), row.calls,
                                      views.duration(row.avg_ns),
                                      views.duration(row.min_ns),
                                      views.duration(row.max_ns), row.name)
  end
  return lost_note(lost) .. table.concat(lines, "\n") .. "\n"
end

--- "CALLS NAME" per called function, sorted by name: for comparing
-- counts with another tool (`snare profile -f counts` has the format).
function views.counts(rec, opts)
  local rows = profile(rec, opts)
  sort_rows(rows, { "func" })
  local lines = {}
  for i, row in ipairs(rows) do
    lines[i] = string.format("%d %s\n", row.calls, row.name)
  end
  return table.concat(lines)
end

--- One row per thread: its OS tid, name, calls, run time, first
-- function.
function views.report_threads(rec, opts)
  local lines = {
    "    TID  Run time     Calls  Lost  Start function        Name",
    "  =====  ==========  ========  ====  ====================  ========",
  }
  for _, thread in ipairs(rec:selected_threads(opts.filters)) do
    local reader = assert(rec:reader(thread, opts.filters))
    local first_name, first_time, last_time, calls = nil, nil, 0, 0
    for kind, id, _, time in reader.next, reader do
      if kind == "entry" then
        calls = calls + 1
        first_name = first_name or rec:name(id)
      end
      first_time = first_time or time
      last_time = time
    end
    lines[#lines + 1] = string.format("  %5d  %10s  %8d  %4d  %-20s  %s",
                                      thread.tid,
                                      views.duration(last_time -
                                                     (first_time or last_time)),
                                      calls, thread.lost, first_name or "-",
                                      thread.name)
  end
  return table.concat(lines, "\n") .. "\n"
end

--- The profiles of two recordings side by side: total time, self time
-- and calls of each function in both, and the change.
function views.report_diff(rec, other, opts)
  local base, new = {}, {}
  for _, row in ipairs((profile(rec, opts))) do
    base[row.name] = row
  end
  for _, row in ipairs((profile(other, opts))) do
    new[row.name] = row
  end
  local none = { calls = 0, total_ns = 0, self_ns = 0, avg_ns = 0, min_ns = 0,
                 max_ns = 0 }
  local rows = {}
  for name in pairs(base) do
    rows[#rows + 1] = { name = name, a = base[name], b = new[name] or none }
  end
  for name in pairs(new) do
    if not base[name] then
      rows[#rows + 1] = { name = name, a = none, b = new[name] }
    end
  end
  local key = sort_field[(opts.sort or {})[1]] or "total_ns"
  table.sort(rows, function(x, y)
    local dx, dy = math.abs(x.b[key] - x.a[key]), math.abs(y.b[key] - y.a[key])
    if dx ~= dy then
      return dx > dy
    end
    return x.name < y.name
  end)
  local function percent(a, b)
    if a == 0 then
      return b == 0 and "+0.00%" or "   new"
    end
    return string.format("%+.2f%%", (b - a) * 100 / a)
  end
  local lines = {
    "  Total time (base → new, diff)            Self time (diff)   Calls "
    .. "(base → new)   Function",
  }
  for _, r in ipairs(rows) do
    lines[#lines + 1] = string.format(
      "  %10s %10s %9s   %10s %9s   %8d %8d %+8d   %s",
      views.duration(r.a.total_ns), views.duration(r.b.total_ns),
      percent(r.a.total_ns, r.b.total_ns), views.duration(r.b.self_ns),
      percent(r.a.self_ns, r.b.self_ns), r.a.calls, r.b.calls,
      r.b.calls - r.a.calls, r.name)
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Every selected thread's filtered events merged by time: calls
-- `visit(thread, kind, id, depth, time, value, args, ret, text,
-- unended)` for each (value: an exit's duration, a loss's count; args:
-- an entry's recorded values; ret: an exit's return value, text: the
-- string it points to when read; unended: the exit closes a call still
-- running when the stream ended), where an entry directly followed
-- by its own exit comes once, as a leaf (kind "leaf", with both), unless
-- `opts.every_event`.
local function merged(rec, opts, visit)
  local heads = {}
  for _, thread in ipairs(rec:selected_threads(opts.filters)) do
    local reader = assert(rec:reader(thread, opts.filters))
    local head = { thread = thread, reader = reader }
    head.event = table.pack(reader:next())
    head.event.unended = reader:unended()
    if head.event.n > 0 then
      heads[#heads + 1] = head
    end
  end
  while #heads > 0 do
    local best = 1
    for i = 2, #heads do
      if heads[i].event[4] < heads[best].event[4] then
        best = i
      end
    end
    local head = heads[best]
    local e = head.event
    local kind, id, depth, time = e[1], e[2], e[3], e[4]
    local after = table.pack(head.reader:next())
    after.unended = head.reader:unended()
    if kind == "entry" and after[1] == "exit" and after[2] == id
       and after[3] == depth and not opts.every_event then
      visit(head.thread, "leaf", id, depth, time, after[5], e[5], after[6],
            after[7], after.unended)
      after = table.pack(head.reader:next())
      after.unended = head.reader:unended()
    elseif kind == "entry" then
      visit(head.thread, kind, id, depth, time, nil, e[5])
    else
      visit(head.thread, kind, id, depth, time, e[5], nil, e[6], e[7],
            e.unended)
    end
    head.event = after
    if after.n == 0 then
      table.remove(heads, best)
    end
  end
end
views.merged = merged

--- The nested calls as `uftrace replay` prints them.
function views.replay(rec, opts, file)
  file:write("# DURATION     TID     FUNCTION\n")
  local blank = string.rep(" ", 10)
  merged(rec, opts, function(thread, kind, id, depth, _, value, args, ret,
                             text, unended)
    local indent = string.rep("  ", depth)
    local prefix = string.format("[%6d] | ", thread.tid)
    -- A call still running when the recording ended stays open, as
    -- uftrace shows it.
    if kind == "leaf" and unended then
      kind = "entry"
    elseif kind == "exit" and unended then
      return
    end
    if kind == "leaf" then
      file:write(" ", views.duration(value), " ", prefix, indent,
                 rec:name(id), rec:arguments(id, args),
                 rec:returned(id, ret, text), ";\n")
    elseif kind == "entry" then
      file:write(blank, "  ", prefix, indent, rec:name(id),
                 rec:arguments(id, args), " {\n")
    elseif kind == "exit" then
      local returned = rec:returned(id, ret, text)
      file:write(" ", views.duration(value), " ", prefix, indent, "}",
                 returned, returned ~= "" and ";" or "", " /* ",
                 rec:name(id), " */\n")
    else
      file:write(blank, "  ", prefix, indent, string.format(
        "/* %d events lost */\n", value))
    end
  end)
end

--- The call graph under the function `name`: its calls' callees, merged
-- by call path, with total time and calls, as `uftrace graph` draws it.
-- @return text, or nil and why
function views.graph(rec, opts, name)
  local ids = rec:ids { name }
  if not ids or not next(ids) then
    return nil, "no function " .. name .. " in the recording"
  end
  local root = { name = name, total = 0, calls = 0, children = {}, order = {} }
  local function child(node, fname)
    local c = node.children[fname]
    if not c then
      c = { name = fname, total = 0, calls = 0, children = {}, order = {} }
      node.children[fname] = c
      node.order[#node.order + 1] = c
    end
    return c
  end
  for _, thread in ipairs(rec:selected_threads(opts.filters)) do
    local reader = assert(rec:reader(thread, opts.filters))
    local path = {} -- nodes from the outermost call of `name` inward
    local inside = 0
    for kind, id, _, _, value in reader.next, reader do
      if kind == "entry" then
        if inside == 0 and ids[id] then
          path = { root }
          inside = 1
          root.calls = root.calls + 1
        elseif inside > 0 then
          local node = child(path[#path], rec:name(id))
          node.calls = node.calls + 1
          path[#path + 1] = node
          inside = inside + 1
        end
      elseif kind == "exit" and inside > 0 then
        local node = table.remove(path)
        node.total = node.total + value
        inside = inside - 1
      end
    end
  end
  local lines = {
    string.format("# Function Call Graph for '%s'", name),
    "========== FUNCTION CALL GRAPH ==========",
    "# TOTAL TIME   FUNCTION",
  }
  local function draw(node, prefix, last, top)
    local branch = top and "" or (prefix .. "+-")
    lines[#lines + 1] = string.format("  %10s : %s(%d) %s",
                                      views.duration(node.total), branch,
                                      node.calls, node.name)
    local below = top and " " or (prefix .. (last and "  " or "| "))
    for i, c in ipairs(node.order) do
      draw(c, below, i == #node.order, false)
    end
  end
  draw(root, "", true, true)
  return table.concat(lines, "\n") .. "\n"
end

--- The recording in one of the dump formats (`snare.recording.dumps`).
-- @return bytes, or nil and why
function views.dump(rec, opts, format)
  return dumps[format](rec, opts, merged)
end

return views
