--- `snare record [OPTIONS] -- PROG ARGS`: every call of the program's
-- functions, on every thread, into a recording directory that `snare
-- report`, `replay`, `graph` and `dump` read later (snare.recording).
-- @module snare.cli.record
local argspec = require "snare.recording.argspec"
local profile = require "snare.cli.profile"

local record = {}

local shell = require "snare.cli.shell"
local fail = shell.fail
local quote = shell.quote

-- "64K", "1M", "4096" as bytes, or nil.
local function size_of(text)
  local number, unit = (text or ""):match("^(%d+)([KkMm]?)$")
  if not number then
    return nil
  end
  local scale = ({ [""] = 1, K = 1024, k = 1024, M = 1 << 20, m = 1 << 20 })[unit]
  return math.tointeger(tonumber(number) * scale)
end

-- The options, then (unless `attached`: snare attach PID record) the
-- command after them.
local function parse(argv, first, attached)
  local opts = { dir = "snare.data", lossless = true, buffer = 0, specs = {} }
  local i = first
  while argv[i] and argv[i] ~= "--" do
    local option, operand = argv[i], argv[i + 1]
    if option == "-d" or option == "--data" then
      if not operand then
        return nil, option .. " needs a directory"
      end
      opts.dir, i = operand, i + 1
    elseif option == "--lossless" then
      opts.lossless = true
    elseif option == "--drop" then
      opts.lossless = false
    elseif option == "-A" or option == "--argument" or option == "-R"
           or option == "--retval" then
      local what = (option == "-A" or option == "--argument") and "args"
                   or "retval"
      local ok, err = argspec.parse(operand or "", what)
      if not ok then
        return nil, option .. ": " .. err
      end
      opts.specs[#opts.specs + 1] = (what == "args" and "A:" or "R:") .. operand
      i = i + 1
    elseif option == "-F" or option == "--filter" or option == "-N"
           or option == "--notrace" or option == "-H" or option == "--hide"
           then
      local ok, err = require("snare.recording.data").matcher(operand or "")
      if not operand or not ok then
        return nil, option .. ": " .. (err or "needs a pattern")
      end
      local kind = (option == "-F" or option == "--filter") and "F:"
                   or (option == "-H" or option == "--hide") and "H:" or "N:"
      opts.specs[#opts.specs + 1] = kind .. operand
      i = i + 1
    elseif option == "-D" or option == "--depth" then
      if not (operand or ""):match("^[1-9]%d*$") then
        return nil, option .. " needs a depth of at least 1"
      end
      opts.specs[#opts.specs + 1] = "D:" .. operand
      i = i + 1
    elseif option == "-t" or option == "--time-filter" then
      local ns = require("snare.cli.recording").duration_of(operand)
      if not ns or ns < 1 then
        return nil, option .. " needs a time (100, 10us, 1ms, 2s)"
      end
      opts.specs[#opts.specs + 1] = "t:" .. ns
      i = i + 1
    elseif option == "-T" or option == "--trigger" then
      local pattern, action = (operand or ""):match("^(.+)@([%w_]+)$")
      local ok, err = require("snare.recording.data").matcher(pattern or "")
      if not (action == "trace_on" or action == "trace_off"
              or action == "finish") or not ok then
        return nil, option .. " needs FUNCTION@trace_on|trace_off|finish"
                    .. (err and ": " .. err or "")
      end
      opts.specs[#opts.specs + 1] = "T:" .. operand
      i = i + 1
    elseif option == "--libcall" then
      opts.specs[#opts.specs + 1] = "libcall"
    elseif option == "-l" or option == "--nest-libcall" then
      opts.specs[#opts.specs + 1] = "libcall"
      opts.nest_libcall = true
    elseif option == "--disable" then
      opts.specs[#opts.specs + 1] = "disable"
    elseif option == "-S" or option == "--script" then
      if not operand then
        return nil, option .. " needs a Lua script"
      end
      -- The agent runs in the program, whose directory may change.
      local path = operand:sub(1, 1) == "/" and operand
                   or (os.getenv("PWD") or ".") .. "/" .. operand
      opts.specs[#opts.specs + 1] = "S:" .. path
      i = i + 1
    elseif option == "-a" or option == "--auto-args" then
      opts.specs[#opts.specs + 1] = "auto"
    elseif option == "--buffer-size" then
      local bytes = size_of(operand)
      if not bytes or bytes < 4096 or bytes & (bytes - 1) ~= 0 then
        return nil, "--buffer-size needs a power of two of at least 4K"
      end
      opts.buffer, i = bytes, i + 1
    elseif option:sub(1, 1) == "-" then
      return nil, "unknown option " .. option
    else
      break
    end
    i = i + 1
  end
  if argv[i] == "--" then
    i = i + 1
  end
  opts.command = { table.unpack(argv, i) }
  if attached and #opts.command > 0 then
    return nil, "unexpected " .. opts.command[1]
  elseif not attached and #opts.command == 0 then
    return nil, "nothing to run: snare record [OPTIONS] -- PROGRAM [ARGS]"
  end
  return opts
end

-- The shared libraries `command` starts with (as ldd lists them, real
-- paths), whose own library calls --nest-libcall records too.
local function needed_libraries(command)
  local pipe = io.popen("p=$(command -v " .. quote(command[1]) .. ") && "
                        .. "ldd \"$p\" 2>/dev/null | "
                        .. "sed -n 's/.*=> \\(\\/[^ ]*\\) .*/\\1/p' | "
                        .. "xargs -r readlink -f")
  local paths = {}
  for line in pipe:lines() do
    paths[#paths + 1] = line
  end
  pipe:close()
  return paths
end

-- A fresh directory; one there already becomes DIR.old (as uftrace does).
local function make_directory(dir)
  if os.rename(dir, dir) then
    os.execute("rm -rf " .. quote(dir .. ".old"))
    local ok, err = os.rename(dir, dir .. ".old")
    if not ok then
      return nil, err
    end
  end
  if not os.execute("mkdir -p " .. quote(dir)) then
    return nil, "cannot make " .. dir
  end
  return true
end

record.parse = parse
record.make_directory = make_directory

--- What the agent's script (snare.recording.agent_script) takes: the
-- directory, how to record, then the command it names in info.txt.
function record.agent_args(opts, dir, command)
  local args = { dir, opts.lossless and "1" or "0", tostring(opts.buffer),
                 table.concat(opts.specs, "\x1e") }
  for _, word in ipairs(command) do
    args[#args + 1] = word
  end
  return args
end

--- Runs `snare record`; returns the program's exit status.
function record.main(argv, first)
  local opts, err = parse(argv, first)
  if not opts then
    return fail(err)
  end
  local ok, why = make_directory(opts.dir)
  if not ok then
    return fail("cannot make the recording directory: " .. tostring(why))
  end
  if opts.nest_libcall then
    for _, path in ipairs(needed_libraries(opts.command)) do
      opts.specs[#opts.specs + 1] = "nest:" .. path
    end
  end
  local script = package.searchpath("snare.recording.agent_script",
                                    package.path)
  local args = record.agent_args(opts, opts.dir, opts.command)
  return profile.run_agent(script, args, opts.command)
end

return record
