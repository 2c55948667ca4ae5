--- `snare dump`'s formats of a recording: Chrome trace JSON (Perfetto),
-- folded stacks weighted by time, an SVG flame graph, pprof's
-- profile.proto (gzip'ed) and speedscope's JSON. Each is a function
-- `(rec, opts, merged)` -> bytes, `merged` the event walk of
-- `snare.recording.views`.
-- @module snare.recording.dumps
local flamegraph = require "snare.flamegraph"
local pprof = require "snare.recording.pprof"

local dumps = {}

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function title_of(rec)
  return rec.info.command or rec.dir
end

--- Chrome trace JSON: a "B" and an "E" event per call, pid and tid the
-- OS's, each thread's name as metadata; ts in microseconds.
function dumps.chrome(rec, opts, merged)
  local out, t0 = {}, nil
  for _, thread in ipairs(rec:selected_threads(opts.filters)) do
    out[#out + 1] = string.format('{"name":"thread_name","ph":"M","pid":%d,'
                                  .. '"tid":%d,"args":{"name":%s}}',
                                  thread.pid, thread.tid,
                                  json_string(thread.name))
  end
  local function event(thread, ph, id, ns)
    t0 = t0 or ns
    out[#out + 1] = string.format('{"name":%s,"ph":"%s","ts":%.3f,"pid":%d,'
                                  .. '"tid":%d}', json_string(rec:name(id)), ph,
                                  (ns - t0) / 1e3, thread.pid, thread.tid)
  end
  merged(rec, opts, function(thread, kind, id, _, time, value)
    if kind == "leaf" then
      event(thread, "B", id, time)
      event(thread, "E", id, time + value)
    elseif kind == "entry" then
      event(thread, "B", id, time)
    elseif kind == "exit" then
      event(thread, "E", id, time)
    end
  end)
  return '{"traceEvents":[\n' .. table.concat(out, ",\n")
         .. '\n],"displayTimeUnit":"ns","otherData":{"command":'
         .. json_string(title_of(rec)) .. '}}\n'
end

-- Calls `leave(thread, stack, self_ns)` for every call, `stack` the
-- names from the thread's outermost call to it, `self_ns` its time
-- less its callees'.
local function each_call(rec, opts, merged, leave)
  local stacks = {}
  merged(rec, opts, function(thread, kind, id, depth, _, value)
    local frames = stacks[thread] or {}
    stacks[thread] = frames
    if kind == "entry" or kind == "leaf" then
      for d = #frames, depth + 1, -1 do -- frames lost from the stream
        frames[d] = nil
      end
      frames[depth + 1] = { name = rec:name(id), children = 0 }
    end
    if kind == "exit" or kind == "leaf" then
      local names = {}
      for d = 1, depth + 1 do
        names[d] = frames[d] and frames[d].name or "[lost]"
      end
      local frame = frames[depth + 1] or { children = 0 }
      leave(thread, names, math.max(value - frame.children, 0))
      frames[depth + 1] = nil
      if frames[depth] then
        frames[depth].children = frames[depth].children + value
      end
    end
  end)
end

--- Folded stacks: `a;b;c NS` per distinct stack, NS the self time of
-- the calls with exactly that stack, in nanoseconds; sorted.
function dumps.folded(rec, opts, merged)
  local sums = {}
  each_call(rec, opts, merged, function(_, names, self_ns)
    local key = table.concat(names, ";")
    sums[key] = (sums[key] or 0) + self_ns
  end)
  local keys = {}
  for key in pairs(sums) do
    keys[#keys + 1] = key
  end
  table.sort(keys)
  for i, key in ipairs(keys) do
    keys[i] = string.format("%s %d\n", key, sums[key])
  end
  return table.concat(keys)
end

--- An SVG flame graph of the folded stacks, weighted by time.
function dumps.svg(rec, opts, merged)
  return flamegraph.svg(dumps.folded(rec, opts, merged),
                        { unit = "ns", title = title_of(rec) })
end

--- pprof's profile.proto, gzip'ed: per distinct stack a sample of
-- [calls, self nanoseconds] (`go tool pprof -top FILE`).
function dumps.pprof(rec, opts, merged)
  local stacks = {}
  each_call(rec, opts, merged, function(_, names, self_ns)
    local key = table.concat(names, "\0")
    local s = stacks[key]
    if not s then
      s = { names = names, calls = 0, ns = 0 }
      stacks[key] = s
    end
    s.calls = s.calls + 1
    s.ns = s.ns + self_ns
  end)
  local list = {}
  for _, s in pairs(stacks) do
    list[#list + 1] = s
  end
  table.sort(list, function(a, b)
    return table.concat(a.names, ";") < table.concat(b.names, ";")
  end)
  return pprof.gzip(pprof.profile(list, {
    { "calls", "count" }, { "time", "nanoseconds" } }))
end

--- speedscope's file format: one evented profile per thread, in
-- nanoseconds, frames shared.
function dumps.speedscope(rec, opts, merged)
  local frames, index = {}, {}
  local profiles, by_thread = {}, {}
  local function frame_of(id)
    local name = rec:name(id)
    if not index[name] then
      frames[#frames + 1] = string.format('{"name":%s}', json_string(name))
      index[name] = #frames - 1
    end
    return index[name]
  end
  local function profile_of(thread)
    local p = by_thread[thread]
    if not p then
      p = { thread = thread, events = {} }
      by_thread[thread] = p
      profiles[#profiles + 1] = p
    end
    return p
  end
  local function event(p, kind, id, at)
    p.start = p.start or at
    p.finish = at
    p.events[#p.events + 1] = string.format('{"type":"%s","frame":%d,"at":%d}',
                                            kind, frame_of(id), at)
  end
  merged(rec, opts, function(thread, kind, id, _, time, value)
    local p = profile_of(thread)
    if kind == "leaf" then
      event(p, "O", id, time)
      event(p, "C", id, time + value)
    elseif kind == "entry" then
      event(p, "O", id, time)
    elseif kind == "exit" then
      event(p, "C", id, time)
    end
  end)
  local out = {}
  for i, p in ipairs(profiles) do
    out[i] = string.format('{"type":"evented","name":%s,"unit":"nanoseconds",'
                           .. '"startValue":%d,"endValue":%d,"events":[%s]}',
                           json_string(string.format("%s [%d]", p.thread.name,
                                                     p.thread.tid)),
                           p.start, p.finish, table.concat(p.events, ","))
  end
  return '{"$schema":"https://www.speedscope.app/file-format-schema.json",'
         .. '"name":' .. json_string(title_of(rec)) .. ',"exporter":"snare",'
         .. '"activeProfileIndex":0,"shared":{"frames":['
         .. table.concat(frames, ",") .. ']},"profiles":['
         .. table.concat(out, ",") .. ']}\n'
end

return dumps
