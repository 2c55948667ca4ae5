-- agent_script.lua - the controller script of `snare record -- PROG`,
-- run by the agent inside the program (see snare.agent). Its arguments
-- (agent.args): DIR LOSSLESS BUFFER_BYTES SPECS COMMAND..., DIR the
-- recording directory (made by `snare record`), LOSSLESS "1" or "0",
-- SPECS what to record of arguments and return values ("A:SPEC",
-- "R:SPEC" and "auto" for -A, -R and --auto-args) and the record-time
-- filters ("F:PATTERN", "N:PATTERN", "H:PATTERN", "D:DEPTH",
-- "T:PATTERN@ACTION" and "disable" for -F, -N, -H, -D, -T and
-- --disable), "t:NS" (-t, the time filter: calls that took at most NS
-- ns are left out) and "S:FILE" (-S: a
-- uftrace Lua script run live, snare.recording.live_script), separated
-- by \x1e.
--
-- The program's functions are hooked to record every entry and exit;
-- the agent's writer thread (agent/recorder.c) drains the threads'
-- streams into DIR/TID.dat while it runs. When the program ends this
-- script adds what a report needs without the program: the hooked
-- functions (symbols.txt), the memory map (maps.txt), the build-ids of
-- the mapped files (buildids.txt), their symbols (objects.txt) and how
-- the run went (info.txt).
local agent = require "snare.agent"
local core = require "snare.agent.core"
local buildid = require "snare.recording.buildid"

local argspec = require "snare.recording.argspec"
local data = require "snare.recording.data"

local dir, lossless, buffer = agent.args[1], agent.args[2], agent.args[3]
local command = { table.unpack(agent.args, 5) }
local specs = { args = {}, retvals = {} }
-- The record-time filters: {pattern, bit} and the recorder's settings.
local filter_rules, filters = {}, nil
local bits_of = require("snare").core
local trigger_bits = { trace_on = bits_of.RECORD_TRACE_ON,
                       trace_off = bits_of.RECORD_TRACE_OFF,
                       finish = bits_of.RECORD_FINISH }
local script_path, min_duration
for item in agent.args[4]:gmatch("[^\x1e]+") do
  local kind, operand = item:match("^([FNDTH]):(.*)$")
  if item:sub(1, 2) == "S:" then
    script_path = item:sub(3)
  elseif item:sub(1, 2) == "t:" then
    min_duration = math.tointeger(tonumber(item:sub(3)))
  elseif item == "auto" then
    specs.auto = true
  elseif item == "libcall" then
    specs.libcall = true
  elseif item:sub(1, 5) == "nest:" then
    specs.nested = specs.nested or {}
    specs.nested[#specs.nested + 1] = item:sub(6)
  elseif item == "disable" then
    filters = filters or {}
    filters.disabled = true
  elseif kind then
    filters = filters or {}
    if kind == "D" then
      filters.depth = math.tointeger(tonumber(operand))
    elseif kind == "T" then
      local pattern, action = operand:match("^(.+)@([%w_]+)$")
      filter_rules[#filter_rules + 1] = { pattern, trigger_bits[action] }
    elseif kind == "H" then
      filter_rules[#filter_rules + 1] = { operand, bits_of.RECORD_CONCEAL }
    else
      filters.only = filters.only or kind == "F"
      filter_rules[#filter_rules + 1] =
        { operand, kind == "F" and bits_of.RECORD_ONLY or bits_of.RECORD_HIDE }
    end
  else
    local what = item:sub(1, 1) == "A" and "args" or "retval"
    local spec = assert(argspec.parse(item:sub(3), what))
    table.insert(what == "args" and specs.args or specs.retvals, spec)
  end
end
local matchers = {}
local function match(pattern, fn)
  matchers[pattern] = matchers[pattern] or assert(data.matcher(pattern))
  return matchers[pattern](fn)
end
if dir:sub(1, 1) ~= "/" then
  dir = agent.start_dir .. "/" .. dir
end

local snare = require "snare"

-- The library file an address lies in, or "-".
local function library_of(address)
  local sym = snare.symbol_at(address)
  return sym and type(sym.library) == "string" and sym.library or "-"
end

-- The live script, started before the hooks go in (uftrace_begin).
local live
if script_path then
  local err
  live, err = require("snare.recording.live_script").start(script_path,
                                                           command)
  if not live then
    io.stderr:write("snare: ", tostring(err), "\n")
  end
end

local functions, hooks, failed, plans = agent.functions(), {}, 0, {}
-- The libraries whose PLTs --nest-libcall hooks, kept open (a closed
-- one would lose its hooks).
local nested_libraries = {}
local wants_values = specs.auto or #specs.args > 0 or #specs.retvals > 0
-- fn: {name=, address=, library=} (library: where a library call goes;
-- else where fn lies).
local function hook_function(fn)
  local options, plan = { record = true }, nil
  local library = fn.library or library_of(fn.address)
  local bits = 0
  for _, rule in ipairs(filter_rules) do
    if match(rule[1], { name = fn.name, library = library }) then
      bits = bits | rule[2]
    end
  end
  options.record_filter = bits
  if wants_values then
    local info = specs.auto and not fn.library
                 and agent.program:function_info(fn.name) or nil
    plan = argspec.plan({ name = fn.name, library = library,
                          info = info }, specs, match)
    for key, value in pairs(plan and argspec.hook_options(plan) or {}) do
      options[key] = value
    end
  end
  if live then
    options.callback = live.callback({ name = fn.name, address = fn.address },
                                     plan)
    options.on_exit, options.wait, options.recorded_only = true, true, true
  end
  local ok, hook = pcall(snare.core.hook, fn.address, options)
  if ok then
    hooks[#hooks + 1] = { id = hook.id, address = fn.address, name = fn.name,
                          library = library, hook = hook }
    if plan then
      plans[#plans + 1] = argspec.line(hook.id, plan)
    end
  else
    failed = failed + 1
  end
end
for _, fn in ipairs(functions) do
  hook_function(fn)
end
-- Library calls (--libcall): the program's calls through its PLT, each
-- slot's through a stub of its own, named as the slot's symbol.
if specs.libcall then
  -- The mapped file an address lies in (libraries snare did not load).
  local mapped = {}
  for line in io.lines("/proc/self/maps") do
    local from, to, path = line:match("^(%x+)%-(%x+) %S+ %S+ %S+ %S+%s+(/.*)$")
    if from then
      mapped[#mapped + 1] = { tonumber(from, 16), tonumber(to, 16), path }
    end
  end
  local function file_of(address)
    for _, m in ipairs(mapped) do
      if math.ult(address, m[2]) and not math.ult(address, m[1]) then
        return m[3]
      end
    end
    return "-"
  end
  local function hook_stubs(lib)
    for _, stub in ipairs(assert(snare.core.plt_stubs(lib))) do
      -- Named as the functions it calls are (C++ ones demangled).
      local name = snare.core.demangle(stub.name) or stub.name
      hook_function({ name = name, address = stub.address,
                      library = file_of(stub.target) })
    end
  end
  hook_stubs(agent.program)
  -- --nest-libcall: the calls the program's libraries make through
  -- their own PLTs too, but for the system's base libraries (the C
  -- library, libm, libpthread, libdl, libgcc_s, the loader), which
  -- uftrace leaves out as well.
  for _, path in ipairs(specs.nested or {}) do
    local base = path:match("[^/]*$")
    if not (base:match("^libc[%.%-]") or base:match("^libm[%.%-]")
            or base:match("^ld%-linux") or base:match("^libgcc_s%.so")
            or base:match("^libpthread[%.%-]")
            or base:match("^libdl[%.%-]")) then
      local lib = snare.load(path)
      if lib then
        nested_libraries[#nested_libraries + 1] = lib
        hook_stubs(lib)
      end
    end
  end
end

local function write_file(name, text)
  local file = assert(io.open(dir .. "/" .. name, "w"))
  file:write(text)
  file:close()
end

local function read_file(path)
  local file = io.open(path)
  if not file then
    return nil
  end
  local text = file:read("a")
  file:close()
  return text
end

-- Where each hooked function lives, as the report needs it later.
local function symbols_text()
  local lines = {}
  for _, h in ipairs(hooks) do
    lines[#lines + 1] = string.format("%d 0x%x %s %s", h.id, h.address,
                                      h.library, h.name)
  end
  return table.concat(lines, "\n") .. "\n"
end

local function buildids_text(maps)
  local lines, seen = {}, {}
  for path in maps:gmatch("%s(/[^\n]+)\n") do
    if not seen[path] then
      seen[path] = true
      local id = buildid.of_file(path)
      if id then
        lines[#lines + 1] = id .. " " .. path
      end
    end
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

-- The symbols of every mapped object with code (objects.txt), for
-- replay to name pointer values "&name" as uftrace does: per object a
-- line "object START FILE_END PATH", then "ADDRESS SIZE f|o NAME" in
-- address order (hex). A file libelf mapped to read it has no code
-- mapping and is left out.
local function objects_text(maps)
  local lines, group = {}, nil
  local function flush()
    if group and group.code then
      local file = snare.core.symbol_file(group.path, group.start)
      if file then
        lines[#lines + 1] = string.format("object %x %x %s", file.start,
                                          file.file_end, group.path)
        for _, sym in ipairs(file.symbols) do
          lines[#lines + 1] = string.format("%x %x %s %s", sym.address,
                                            sym.size,
                                            sym.is_function and "f" or "o",
                                            sym.name)
        end
      end
    end
    group = nil
  end
  for from, perms, path in maps:gmatch("(%x+)%-%x+ (%S+) %S+ %S+ %S+%s+(/[^\n]*)\n") do
    if not group or group.path ~= path then
      flush()
      group = { path = path, start = tonumber(from, 16) }
    end
    group.code = group.code or perms:find("x") ~= nil
  end
  flush()
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

local started = os.time()
core.record_start(dir, lossless == "1", math.tointeger(tonumber(buffer)) or 0,
                  filters, min_duration)
local maps = read_file("/proc/self/maps") or ""
write_file("symbols.txt", symbols_text())
write_file("args.txt", #plans > 0 and table.concat(plans, "\n") .. "\n" or "")
local how, detail = agent.run()
local totals = core.record_stop()
if live then
  local ok, err = live.finish()
  local errors, skipped, last = 0, 0, err
  for _, h in ipairs(hooks) do
    local stats = h.hook:stats()
    errors, skipped = errors + (stats.errors or 0), skipped + (stats.skipped or 0)
    last = last or stats.last_error
  end
  if not ok or errors > 0 then
    io.stderr:write(string.format("snare: the script failed %d times: %s\n",
                                  errors + (ok and 0 or 1), tostring(last)))
  end
  if skipped > 0 then
    io.stderr:write(string.format("snare: the script missed %d calls (made "
                                  .. "where Lua could not run)\n", skipped))
  end
end
-- Libraries the program opened while it ran are in the map now.
maps = read_file("/proc/self/maps") or maps
write_file("maps.txt", maps)
write_file("buildids.txt", buildids_text(maps))
write_file("objects.txt", objects_text(maps))
local info = {
  "command " .. table.concat(command, " "),
  "pid " .. (read_file("/proc/self/stat") or ""):match("^%d+"),
  "ended " .. how .. (how == "signal" and " " .. tostring(detail) or ""),
  "mode " .. (lossless == "1" and "lossless" or "drop"),
  "hooked " .. #hooks,
  "not_hooked " .. failed,
  "nested_libraries " .. #nested_libraries, -- whose PLTs -l hooked
  "bytes " .. totals.bytes,
  "lost " .. (totals.lost + totals.unwritten),
  "started " .. started,
  "seconds " .. (os.time() - started),
}
write_file("info.txt", table.concat(info, "\n") .. "\n")
if totals.lost + totals.unwritten > 0 then
  io.stderr:write(string.format("snare: %d events lost (--drop: the "
                                .. "buffers overflowed)\n",
                                totals.lost + totals.unwritten))
end
if how == "fault" and detail then
  io.stderr:write(string.format("snare: the program got %s on thread %d\n%s\n",
                                detail.signal or "a signal", detail.thread,
                                agent.backtrace(detail)))
end
