--- A `snare record` directory read back: its threads, its functions, and
-- their calls through uftrace's filters (the streams are decoded in C,
-- `snare.core.recording_open`).
--
--    local data = assert(require("snare.recording.data").open("snare.data"))
--    for _, thread in ipairs(data.threads) do
--      for kind, id, depth, time, value in data:events(thread, filters) do ...
--
-- Filters: `only` and `hide` (lists of patterns, uftrace's -F and -N),
-- `conceal` (uftrace's -H: those functions alone are left out, their
-- callees shown in their place),
-- `depth` (-D), `threshold` (-t, ns), `tids` (a set of OS tids),
-- `triggers` (-T: a list of `{pattern, action}`, action "trace_on",
-- "trace_off" or "finish"), `range` (`{from, to}`, ns since the
-- recording's first event; `to` nil: to the end).
-- Patterns match function names as snare shows them (C++ demangled):
-- a plain name matches itself; one with `*`, `?` or `[` is a glob of the
-- whole name; another with regex characters (`^$.+()|\`) is a regex
-- searched in the name (the subset Lua patterns can say); `NAME@LIB`
-- limits it to the library whose file name starts with LIB, and `@LIB`
-- alone takes every function of it.
-- @module snare.recording.data
local argspec = require "snare.recording.argspec"
local core = require "snare.core"

local data = {}

local Data = {}
Data.__index = Data

local function lines_of(path)
  local file = io.open(path)
  if not file then
    return nil
  end
  local lines = {}
  for line in file:lines() do
    lines[#lines + 1] = line
  end
  file:close()
  return lines
end

--- Opens the recording in `dir`: `data.threads` (list of `{tid, pid,
-- file, bytes, lost, waits, name}`, by tid), `data.functions` (by hook
-- id: `{id, address, library, name}`), `data.info` (info.txt's keys).
-- @return the recording, or nil and why
function data.open(dir)
  local tasks = lines_of(dir .. "/task.txt")
  local symbols = lines_of(dir .. "/symbols.txt")
  if not tasks or not symbols then
    return nil, dir .. " is not a snare recording (no task.txt, symbols.txt)"
  end
  local self = setmetatable({ dir = dir, threads = {}, functions = {},
                              at_address = {}, info = {} }, Data)
  for _, line in ipairs(tasks) do
    local tid, pid, file, bytes, lost, waits, name =
      line:match("^(%d+) (%d+) (%S+) (%d+) (%d+) (%d+) ?(.*)$")
    if tid then
      self.threads[#self.threads + 1] = {
        tid = math.tointeger(tid), pid = math.tointeger(pid),
        file = file ~= "-" and dir .. "/" .. file or nil,
        bytes = math.tointeger(bytes), lost = math.tointeger(lost),
        waits = math.tointeger(waits), name = name }
    end
  end
  table.sort(self.threads, function(a, b)
    if a.pid ~= b.pid then
      return a.pid < b.pid
    end
    return a.tid < b.tid
  end)
  for _, line in ipairs(symbols) do
    local id, address, library, name = line:match("^(%d+) 0x(%x+) (%S+) (.*)$")
    if id then
      id = math.tointeger(id)
      self.functions[id] = { id = id, address = tonumber(address, 16),
                             library = library, name = name }
      self.at_address[self.functions[id].address] = name
    end
  end
  self.plans = {}
  for _, line in ipairs(lines_of(dir .. "/args.txt") or {}) do
    local id, plan = argspec.from_line(line)
    if id then
      self.plans[id] = plan
    end
  end
  for _, line in ipairs(lines_of(dir .. "/info.txt") or {}) do
    local key, value = line:match("^(%S+) ?(.*)$")
    if key then
      self.info[key] = value
    end
  end
  return self
end

-- objects.txt's objects: {start, file_end, addresses, ends, names},
-- each symbol reaching to the next one of its kind (function or data
-- object), as uftrace's symbol files make it, else to its own end.
local function read_objects(dir)
  local objects, current, kinds = {}, nil, nil
  local function close()
    if current then
      local n = #current.addresses
      for i = 1, n do
        local own = current.addresses[i] + current.ends[i]
        current.ends[i] = i < n and kinds[i + 1] == kinds[i]
                          and current.addresses[i + 1] or own
      end
    end
  end
  for _, line in ipairs(lines_of(dir .. "/objects.txt") or {}) do
    local start, file_end = line:match("^object (%x+) (%x+) ")
    if start then
      close()
      current = { start = tonumber(start, 16), file_end = tonumber(file_end, 16),
                  addresses = {}, ends = {}, names = {} }
      objects[#objects + 1], kinds = current, {}
    else
      local address, size, kind, name = line:match("^(%x+) (%x+) ([fo]) (.*)$")
      if address and current then
        local i = #current.addresses + 1
        current.addresses[i] = tonumber(address, 16)
        current.ends[i] = tonumber(size, 16) -- the size until close()
        current.names[i], kinds[i] = name, kind
      end
    end
  end
  close()
  return objects
end

--- The name of the function or data object of the recorded program's
-- objects that holds `address`, as uftrace names a pointer ("strm" for
-- a pointer into `static lzma_stream strm`); nil outside them, and in
-- the part of an object's .bss past its file's last page, which uftrace
-- does not count as the object's.
function Data:object_at(address)
  self.objects = self.objects or read_objects(self.dir)
  for _, object in ipairs(self.objects) do
    if address >= object.start and address < object.file_end then
      local addresses, low, high = object.addresses, 1, #object.addresses
      while low <= high do -- the last symbol at or below address
        local middle = (low + high) // 2
        if addresses[middle] <= address then
          low = middle + 1
        else
          high = middle - 1
        end
      end
      if high >= 1 and address < object.ends[high] then
        return object.names[high]
      end
      return nil
    end
  end
  return nil
end

-- A value as argspec.show shows it; a pointer to a function or a data
-- object of the recording as "&name", as uftrace shows one.
function Data:shown(raw, format, text)
  if format == "p" then
    local name = self.at_address[raw] or (raw ~= 0 and self:object_at(raw))
    if name then
      return "&" .. name
    end
  end
  return argspec.show(raw, format, text)
end

--- "(3, \"hello\")" of an entry's recorded `args` (as the reader gives
-- them) under function `id`'s plan; "()" without.
function Data:arguments(id, args)
  local plan = self.plans[id]
  if not args or not plan then
    return "()"
  end
  local shown = {}
  for i = 1, #plan.args do
    local source, float = plan.sources[i], (plan.float_sources or {})[i]
    local floats = args.floats or {}
    if float then
      shown[i] = floats[float] and argspec.show(floats[float], plan.args[i])
                 or "?"
    else
      shown[i] = source and source <= args.n
                 and self:shown(args[source], plan.args[i],
                                args.strings[source])
                 or "?"
    end
  end
  return "(" .. table.concat(shown, ", ") .. ")"
end

--- " = 2" of a recorded return value (and the string it points to,
-- when read) under function `id`'s plan; "" without.
function Data:returned(id, value, text)
  local plan = self.plans[id]
  if value == nil or not plan or not plan.retval then
    return ""
  end
  return " = " .. self:shown(value, plan.retval, text)
end

--- The name of function `id` ("?" and the id when unknown).
function Data:name(id)
  local fn = self.functions[id]
  return fn and fn.name or ("?" .. id)
end

-- A glob of a whole name as a Lua pattern.
local function glob_pattern(glob)
  local out = glob:gsub("[%^%$%(%)%%%.%+%-]", "%%%0")
  out = out:gsub("%*", ".*"):gsub("%?", ".")
  return "^" .. out .. "$"
end

-- A regex as a Lua pattern: the subset both say alike (., *, +, ?,
-- [...], ^, $, \ escapes); nil for what Lua patterns cannot say.
local function regex_pattern(regex)
  if regex:find("[|(){}]") then
    return nil
  end
  local out = regex:gsub("%%", "%%%%"):gsub("%-", "%%-")
  out = out:gsub("\\(.)", "%%%1")
  return out
end

--- A matcher of names for one filter pattern: `fn(function)` -> bool;
-- or nil and why.
function data.matcher(pattern)
  local name, lib = pattern:match("^(.-)@(.+)$")
  name = name or pattern
  local test
  if name == "" then
    test = function()
      return true
    end
  elseif name:find("[%*%?%[]") then
    local lua = glob_pattern(name)
    test = function(s)
      return s:find(lua) ~= nil
    end
  elseif name:find("[%^%$%.%+%(%)|\\]") then
    local lua = regex_pattern(name)
    if not lua then
      return nil, "the regex " .. name .. " uses alternation or groups, "
                  .. "which snare does not support; use a glob"
    end
    test = function(s)
      return s:find(lua) ~= nil
    end
  else
    test = function(s)
      return s == name
    end
  end
  return function(fn)
    if lib then
      local base = (fn.library or ""):match("[^/]*$")
      if base:sub(1, #lib) ~= lib then
        return false
      end
    end
    return test(fn.name)
  end
end

--- The ids of the functions any of `patterns` matches, as a set; nil
-- for no patterns; or nil and why.
function Data:ids(patterns)
  if not patterns or #patterns == 0 then
    return nil
  end
  local set = {}
  for _, pattern in ipairs(patterns) do
    local match, err = data.matcher(pattern)
    if not match then
      return nil, err
    end
    for id, fn in pairs(self.functions) do
      if match(fn) then
        set[id] = true
      end
    end
  end
  return set
end

--- The threads `filters.tids` keeps (all without it) that have a stream.
function Data:selected_threads(filters)
  local out = {}
  for _, thread in ipairs(self.threads) do
    if thread.file and (not filters or not filters.tids
                        or filters.tids[thread.tid]) then
      out[#out + 1] = thread
    end
  end
  return out
end

-- The C reader's options for `filters`; or nil and why.
function Data:reader_options(filters)
  filters = filters or {}
  local only, err = self:ids(filters.only)
  if err then
    return nil, err
  end
  local hide, err2 = self:ids(filters.hide)
  if err2 then
    return nil, err2
  end
  local conceal, err4 = self:ids(filters.conceal)
  if err4 then
    return nil, err4
  end
  local options = {
    -- A filter that matches nothing keeps nothing (uftrace's too).
    only = only or (filters.only and #filters.only > 0 and {}) or nil,
    hide = hide, conceal = conceal, depth = filters.depth,
    threshold = filters.threshold }
  for _, trigger in ipairs(filters.triggers or {}) do
    local action = trigger[2] == "trace_on" and "on"
                   or trigger[2] == "trace_off" and "off"
                   or trigger[2] == "finish" and "finish"
    if not action then
      return nil, "-T: unknown action " .. tostring(trigger[2])
                  .. " (trace_on, trace_off, finish)"
    end
    local ids, err3 = self:ids { trigger[1] }
    if err3 then
      return nil, err3
    end
    options[action] = options[action] or {}
    for id in pairs(ids) do
      options[action][id] = true
    end
  end
  if filters.range then
    local start = self:start_time()
    options.from = start + filters.range[1]
    options.to = filters.range[2] and start + filters.range[2] or nil
  end
  return options
end

--- The time of the recording's first event (monotonic ns).
function Data:start_time()
  if not self.start then
    self.start = math.maxinteger
    for _, thread in ipairs(self:selected_threads()) do
      local reader = core.recording_open(thread.file)
      local kind, time
      if reader then
        local k, _, _, t = reader:next()
        kind, time = k, t
      end
      if kind then
        self.start = math.min(self.start, time)
      end
    end
  end
  return self.start
end

--- A reader of `thread`'s stream through `filters`
-- (`snare.core.recording_open`); or nil and why.
function Data:reader(thread, filters)
  local options, err = self:reader_options(filters)
  if not options then
    return nil, err
  end
  return core.recording_open(thread.file, options)
end

return data
