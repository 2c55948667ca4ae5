--- `snare report`, `snare replay`, `snare graph` and `snare dump` on a
-- `snare record` directory, in uftrace's layouts and with its filters.
-- @module snare.cli.recording
local data = require "snare.recording.data"
local views = require "snare.recording.views"

local recording = {}

local shell = require "snare.cli.shell"
local fail = shell.fail

-- "10us", "1.5ms", "200", "2s" as nanoseconds, or nil.
local function duration_of(text)
  local number, unit = (text or ""):match("^([%d.]+)(%a*)$")
  local scale = ({ [""] = 1, ns = 1, us = 1e3, ms = 1e6, s = 1e9 })[unit or ""]
  if not number or not tonumber(number) or not scale then
    return nil
  end
  return math.floor(tonumber(number) * scale)
end

-- Options every reading command takes, and each command's own.
local function parse(argv, first, own)
  local opts = { dir = "snare.data", filters = { only = {}, hide = {} },
                 operands = {} }
  local i = first
  while argv[i] do
    local option, operand = argv[i], argv[i + 1]
    local takes = true
    if option == "-d" or option == "--data" then
      opts.dir = operand
    elseif option == "-F" or option == "--filter" then
      table.insert(opts.filters.only, operand)
    elseif option == "-N" or option == "--notrace" then
      table.insert(opts.filters.hide, operand)
    elseif option == "-H" or option == "--hide" then
      opts.filters.conceal = opts.filters.conceal or {}
      table.insert(opts.filters.conceal, operand)
    elseif option == "-D" or option == "--depth" then
      opts.filters.depth = math.tointeger(tonumber(operand))
      if not opts.filters.depth or opts.filters.depth < 1 then
        return nil, "-D needs a depth of at least 1"
      end
    elseif option == "-t" or option == "--time-filter" then
      opts.filters.threshold = duration_of(operand)
      if not opts.filters.threshold then
        return nil, "-t needs a time (100, 10us, 1ms, 2s)"
      end
    elseif option == "-T" or option == "--trigger" then
      local pattern, actions = (operand or ""):match("^(.-)@([%w_,]+)$")
      if not pattern then
        return nil, "-T needs FUNCTION@trace_on|trace_off|finish"
      end
      opts.filters.triggers = opts.filters.triggers or {}
      for action in actions:gmatch("[^,]+") do
        table.insert(opts.filters.triggers, { pattern, action })
      end
    elseif option == "-r" or option == "--time-range" then
      local from, to = (operand or ""):match("^([^~]*)~(.*)$")
      from = from and (from == "" and 0 or duration_of(from))
      to = to ~= "" and to and duration_of(to) or nil
      if not from or (to == nil and not (operand or ""):match("~$")) then
        return nil, "-r needs START~END (times since the first event: 1ms~5ms)"
      end
      opts.filters.range = { from, to }
    elseif option == "--tid" then
      opts.filters.tids = opts.filters.tids or {}
      for tid in (operand or ""):gmatch("%d+") do
        opts.filters.tids[math.tointeger(tonumber(tid))] = true
      end
    elseif own[option] then
      takes = own[option](opts, operand)
    elseif option:sub(1, 1) == "-" and option ~= "-" then
      return nil, "unknown option " .. option
    else
      table.insert(opts.operands, option)
      takes = false
    end
    if takes then
      if operand == nil then
        return nil, option .. " needs a value"
      end
      i = i + 1
    end
    i = i + 1
  end
  return opts
end

local function open(opts)
  local rec, err = data.open(opts.dir)
  if not rec then
    return nil, err
  end
  local ok, why = rec:reader_options(opts.filters)
  if not ok then
    return nil, why
  end
  return rec
end

local sort_keys = { total = true, self = true, call = true, func = true,
                    avg = true, min = true, max = true }

--- `snare report [-d DIR] [-s KEY[,KEY]] [--threads] [--diff OTHER]
-- [-f table|counts] [filters]`.
function recording.report(argv, first)
  local opts, err = parse(argv, first, {
    ["-s"] = function(o, keys)
      o.sort = {}
      for key in (keys or ""):gmatch("[^,]+") do
        o.sort[#o.sort + 1] = key
      end
      return true
    end,
    ["--threads"] = function(o)
      o.threads = true
      return false
    end,
    ["--diff"] = function(o, other)
      o.diff = other
      return true
    end,
    ["-f"] = function(o, format)
      o.format = format
      return true
    end,
  })
  if not opts then
    return fail(err)
  end
  opts.sort = opts.sort or { "total" }
  for _, key in ipairs(opts.sort) do
    if not sort_keys[key] then
      return fail("-s: unknown key " .. key .. " (total, self, call, func, "
                  .. "avg, min, max)")
    end
  end
  local rec, why = open(opts)
  if not rec then
    return fail(why)
  end
  if opts.diff then
    local other, why2 = data.open(opts.diff)
    if not other then
      return fail(why2)
    end
    io.stdout:write(views.report_diff(rec, other, opts))
  elseif opts.format == "counts" then
    io.stdout:write(views.counts(rec, opts))
  elseif opts.format and opts.format ~= "table" then
    return fail("-f needs table or counts")
  elseif opts.threads then
    io.stdout:write(views.report_threads(rec, opts))
  else
    io.stdout:write(views.report(rec, opts))
  end
  return 0
end

--- `snare replay [-d DIR] [filters]`: the calls, nested, with durations.
function recording.replay(argv, first)
  local opts, err = parse(argv, first, {})
  if not opts then
    return fail(err)
  end
  local rec, why = open(opts)
  if not rec then
    return fail(why)
  end
  views.replay(rec, opts, io.stdout)
  return 0
end

--- `snare graph [-d DIR] [filters] FUNC`: the calls under FUNC, merged
-- by path, with their total time and count.
function recording.graph(argv, first)
  local opts, err = parse(argv, first, {})
  if not opts then
    return fail(err)
  end
  if #opts.operands ~= 1 then
    return fail("usage: snare graph [OPTIONS] FUNCTION")
  end
  local rec, why = open(opts)
  if not rec then
    return fail(why)
  end
  local text, none = views.graph(rec, opts, opts.operands[1])
  if not text then
    return fail(none)
  end
  io.stdout:write(text)
  return 0
end

--- `snare script -S FILE.lua [-d DIR] [filters]`: uftrace's script API
-- over the recording (`snare.recording.script`).
function recording.script(argv, first)
  local opts, err = parse(argv, first, { ["-S"] = function(o, file)
    o.script = file
    return true
  end })
  if not opts then
    return fail(err)
  end
  if not opts.script then
    return fail("usage: snare script -S FILE.lua [-d DIR] [FILTERS]")
  end
  local rec, why = open(opts)
  if not rec then
    return fail(why)
  end
  local ok, failure = require("snare.recording.script").run(rec, opts,
                                                            opts.script)
  if not ok then
    return fail(tostring(failure))
  end
  return 0
end

local dump_formats = { ["--chrome"] = "chrome", ["--flame-graph"] = "folded",
                       ["--svg"] = "svg", ["--pprof"] = "pprof",
                       ["--speedscope"] = "speedscope" }

--- `snare dump (--chrome|--flame-graph|--svg|--pprof|--speedscope)
-- [-o FILE] [-d DIR] [filters]`.
function recording.dump(argv, first)
  local own = { ["-o"] = function(o, file)
    o.output = file
    return true
  end }
  for option, format in pairs(dump_formats) do
    own[option] = function(o)
      o.format = format
      return false
    end
  end
  local opts, err = parse(argv, first, own)
  if not opts then
    return fail(err)
  end
  if not opts.format then
    return fail("dump needs --chrome, --flame-graph, --svg, --pprof or "
                .. "--speedscope")
  end
  local rec, why = open(opts)
  if not rec then
    return fail(why)
  end
  local bytes, failed = views.dump(rec, opts, opts.format)
  if not bytes then
    return fail(failed)
  end
  local file = io.stdout
  if opts.output then
    file = assert(io.open(opts.output, "wb"))
  end
  file:write(bytes)
  if file ~= io.stdout then
    file:close()
  end
  return 0
end

--- "10us", "1ms", "2s", "100" (ns) as nanoseconds, or nil.
recording.duration_of = duration_of

return recording
