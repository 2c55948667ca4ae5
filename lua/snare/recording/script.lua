--- uftrace's script API on a recording: a Lua file that defines
-- `uftrace_begin(ctx)`, `uftrace_entry(ctx)`, `uftrace_exit(ctx)` and
-- `uftrace_end()` (any of them) runs unchanged under `snare script -S
-- FILE.lua`, called for every entry and exit in time order, as `uftrace
-- script` calls it.
--
-- `uftrace_begin`'s ctx: `record` (false: a recording is read),
-- `version`, `cmds` (the script's arguments: none, as uftrace's when it
-- reads a recording). Entries' and exits'
-- ctx: `tid`, `depth`, `timestamp` (ns), `address` (the function's),
-- `name`; entries also `args` (the recorded arguments: integers as
-- numbers, strings as strings), exits `duration` (ns) and `retval`.
-- @module snare.recording.script
local argspec = require "snare.recording.argspec"
local views = require "snare.recording.views"

local script = {}

-- A recorded value as the script sees it.
function script.value(raw, format, text)
  if format == "s" then
    return text or (raw == 0 and "(null)" or string.format("0x%x", raw))
  end
  local shown = argspec.show(raw, format == "x" and "d" or format, text)
  return math.tointeger(tonumber(shown)) or raw
end
local value_of = script.value

-- The arguments of an entry as a list, per function `id`'s plan.
local function args_of(rec, id, args)
  local plan = rec.plans[id]
  if not args or not plan then
    return nil
  end
  local list = {}
  for i = 1, #plan.args do
    local source = plan.sources[i]
    list[i] = source and source <= args.n and
              value_of(args[source], plan.args[i], args.strings[source]) or 0
  end
  return list
end

--- Loads the script at `path`, its `print` writing to `out`. Returns
-- `call(name, ctx)`, which calls the script's function `name` if it
-- defines one, and `wants(name)`: whether the script takes the calls of
-- function `name` (its `UFTRACE_FUNCS` list of patterns, as uftrace's;
-- all without one); or nil and the error.
function script.load(path, out)
  local env = setmetatable({}, { __index = _G })
  env.print = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do
      parts[i] = tostring(parts[i])
    end
    out:write(table.concat(parts, "\t", 1, parts.n), "\n")
  end
  local chunk, err = loadfile(path, "t", env)
  if not chunk then
    return nil, err
  end
  local ok, failure = pcall(chunk)
  if not ok then
    return nil, failure
  end
  local function call(name, ctx)
    local fn = rawget(env, name)
    if fn then
      fn(ctx)
    end
  end
  local funcs, wanted = rawget(env, "UFTRACE_FUNCS"), {}
  local matchers = {}
  for _, pattern in ipairs(type(funcs) == "table" and funcs or {}) do
    local matcher, err2 = require("snare.recording.data").matcher(pattern)
    if not matcher then
      return nil, "UFTRACE_FUNCS: " .. err2
    end
    matchers[#matchers + 1] = matcher
  end
  local function wants(name)
    if #matchers == 0 then
      return true
    end
    if wanted[name] == nil then
      wanted[name] = false
      for _, matcher in ipairs(matchers) do
        wanted[name] = wanted[name] or matcher({ name = name }) and true
      end
    end
    return wanted[name]
  end
  return call, wants
end

--- Runs the script at `path` over the recording `rec` (its events
-- through `opts.filters`), with `out` as its `print`'s destination
-- (default io.stdout). Returns true, or nil and the error.
function script.run(rec, opts, path, out)
  local call, wants = script.load(path, out or io.stdout)
  if not call then
    return nil, wants
  end
  local ok, failure = pcall(function()
    call("uftrace_begin", { record = false, version = "snare", cmds = {} })
    local every = setmetatable({ every_event = true }, { __index = opts })
    views.merged(rec, every, function(thread, kind, id, depth, time, value,
                                      args, ret, text)
      local fn = rec.functions[id]
      local ctx = { tid = thread.tid, depth = depth, timestamp = time,
                    address = fn and fn.address or 0, name = rec:name(id) }
      if (kind == "entry" or kind == "exit") and not wants(ctx.name) then
        return
      end
      if kind == "entry" then
        ctx.args = args_of(rec, id, args)
        call("uftrace_entry", ctx)
      elseif kind == "exit" then
        ctx.duration = value
        local plan = rec.plans[id]
        if ret ~= nil and plan and plan.retval then
          ctx.retval = value_of(ret, plan.retval, text)
        end
        call("uftrace_exit", ctx)
      end
    end)
    call("uftrace_end")
  end)
  if not ok then
    return nil, failure
  end
  return true
end

return script
