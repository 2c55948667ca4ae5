--- `snare attach PID ...`: snare in a process that is already running.
--
--    snare attach PID profile|trace [--duration S] [-f F] [-o FILE]
--                                     [--value calls|ns]
--    snare attach PID exec SCRIPT.lua [ARGS...]
--    snare attach PID debug
--    snare attach PID record [--duration S] [-d DIR] [record's options]
--
-- The helper build/bin/snare_attach (os/linux/attach/) loads the agent
-- into the process with ptrace (a dlopen call on one of its threads,
-- every register and byte restored) and lets go of it at once; the
-- agent's controller then runs the script inside the process, as under
-- `snare profile|exec -- PROG`, with this command's stdin, stdout and
-- stderr. The end of --duration, Ctrl-C, SIGTERM, the script returning
-- or `detach` at the prompt detach: every hook and breakpoint removed,
-- signal handlers restored, the agent unloaded.
-- @module snare.cli.attach

local attach = {}

local shell = require "snare.cli.shell"
local profile = require "snare.cli.profile"
local fail = shell.fail
local quote = shell.quote

local function absolute(path)
  if path:sub(1, 1) == "/" then
    return path
  end
  local pwd = io.popen("pwd -P")
  local cwd = pwd and pwd:read("l")
  if pwd then
    pwd:close()
  end
  return (cwd or ".") .. "/" .. path
end

-- The helper next to the agent (profile.find_helper), or
-- $SNARE_ATTACH_HELPER.
local function find_helper(agent)
  return os.getenv("SNARE_ATTACH_HELPER")
    or profile.find_helper(agent, "snare_attach")
end

--- Runs `script` (a controller script, see snare.agent) with `args`
-- inside process `pid` until it returns or snare detaches (after
-- `duration` seconds when given, or at SIGINT/SIGTERM). Returns the
-- exit status: 0 detached, the process's own status if it exited
-- meanwhile, 3 when attaching was refused (the reason on stderr).
function attach.run(pid, script, args, duration)
  local agent = profile.find_agent()
  if not agent then
    return fail("the agent (snare_agent.so) is not built or not installed")
  end
  local helper = find_helper(agent)
  if not helper then
    return fail("the attach helper (snare_attach) is not built")
  end
  local words = { "exec", quote(helper) }
  if duration then
    words[#words + 1] = "--duration"
    words[#words + 1] = tostring(duration)
  end
  for _, word in ipairs { tostring(pid), absolute(agent), absolute(script),
                          package.path, package.cpath } do
    words[#words + 1] = quote(word)
  end
  for _, word in ipairs(args or {}) do
    words[#words + 1] = quote(word)
  end
  return shell.run(words)
end

-- profile/trace options: --duration, then the report's.
local function parse_report(argv, i, default_format)
  local opts = { format = default_format, value = "calls", output = "" }
  while argv[i] do
    local option, operand = argv[i], argv[i + 1]
    if option == "--duration" then
      opts.duration = tonumber(operand)
      if not opts.duration or opts.duration <= 0 then
        return nil, "--duration needs seconds"
      end
    else
      local taken, why = profile.report_option(opts, option, operand)
      if taken == nil then
        return nil, why
      elseif not taken then
        return nil, "unknown option " .. option
      end
    end
    i = i + 2
  end
  if opts.output ~= "" then
    -- the report is written by the agent, from the process's directory
    opts.output = absolute(opts.output)
  end
  return opts
end

-- The words of /proc/PID/cmdline (what info.txt names as the command).
local function command_line(pid)
  local file = io.open("/proc/" .. pid .. "/cmdline")
  local text = file and file:read("a") or ""
  if file then
    file:close()
  end
  local words = {}
  for word in text:gmatch("[^%z]+") do
    words[#words + 1] = word
  end
  return words
end

-- `snare attach PID record ...`: as `snare record`, from now until the
-- end of --duration, Ctrl-C or the program's end.
local function record_window(pid, argv, first)
  local rest, duration = {}, nil
  local i = first
  while argv[i] do
    if argv[i] == "--duration" then
      duration = tonumber(argv[i + 1])
      if not duration or duration <= 0 then
        return fail("--duration needs seconds")
      end
      i = i + 2
    else
      rest[#rest + 1] = argv[i]
      i = i + 1
    end
  end
  local record = require "snare.cli.record"
  local opts, err = record.parse(rest, 1, true)
  if not opts then
    return fail(err)
  end
  local ok, why = record.make_directory(opts.dir)
  if not ok then
    return fail("cannot make the recording directory: " .. tostring(why))
  end
  local script = package.searchpath("snare.recording.agent_script",
                                    package.path)
  return attach.run(pid, script, record.agent_args(opts, absolute(opts.dir),
                                                   command_line(pid)),
                    duration)
end

local function terminal(fd)
  return os.execute("test -t " .. fd) == true
end

--- `snare attach PID SUBCOMMAND ...`: argv[first] is the PID.
function attach.main(argv, first)
  local pid = math.tointeger(tonumber(argv[first]))
  local sub = argv[first + 1]
  if not pid or not sub then
    return fail("usage: snare attach PID profile|trace|record|exec|debug ...")
  end
  if sub == "profile" or sub == "trace" then
    local opts, err = parse_report(argv, first + 2,
                                   sub == "profile" and "table" or "text")
    if not opts then
      return fail(err)
    end
    local script = package.searchpath("snare.cli.agent_report", package.path)
    return attach.run(pid, script, { opts.format, opts.value, opts.output,
                                     terminal(2) and "1" or "0" },
                      opts.duration)
  elseif sub == "exec" then
    local script = argv[first + 2]
    local file = script and io.open(script)
    if not file then
      return fail("attach exec: cannot open " .. tostring(script))
    end
    file:close()
    local args = {}
    for i = first + 3, #argv do
      args[#args + 1] = argv[i]
    end
    return attach.run(pid, script, args)
  elseif sub == "record" then
    return record_window(pid, argv, first + 2)
  elseif sub == "debug" then
    local script = package.searchpath("snare.cli.agent_debug", package.path)
    return attach.run(pid, script, { terminal(0) and "1" or "0" })
  end
  return fail("attach: unknown subcommand " .. sub
              .. " (profile, trace, record, exec or debug)")
end

return attach
