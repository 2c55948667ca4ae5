-- attach_helpers.lua - programs run in the background for the snare
-- attach specs (attach_spec, attach_debug_spec): started fed through a
-- FIFO, attached to by bin/snare attach in the foreground or background.
-- `new { finally = finally }` (busted's, so that a failed test leaves no
-- program running) returns the functions.
local helpers = require "spec.helpers"

local program = helpers.program

return { new = function(busted)
local finally = busted.finally

local function sh(command)
  return os.execute(command) == true
end

local function read(path)
  return helpers.read_file(path) or ""
end

local function sleep(s)
  sh("sleep " .. s)
end

-- Waits (up to `seconds`, 20 by default) until `fn()` is true; returns
-- its last value.
local function eventually(fn, seconds)
  for _ = 1, (seconds or 20) * 20 do
    local value = fn()
    if value then
      return value
    end
    sleep(0.05)
  end
  return fn()
end

-- A program running in the background, fed through a FIFO that a
-- `sleep` keeps open (its end is the program's end of input); its
-- stdout, stderr and exit status go to files in `dir`. `name` is a
-- fixture program, which says it is ready, or a path (a corpus program),
-- which is ready once it sleeps waiting for its input. `wrapper`: a
-- command that execs it (setarch -R).
local function start(name, args, user, wrapper)
  local path = name:find("/", 1, true) and name or program(name)
  local dir = os.tmpname()
  os.remove(dir)
  assert(sh("mkdir " .. dir .. " && mkfifo " .. dir .. "/in"))
  local run = user and ("setpriv --reuid=" .. user .. " --regid=" .. user
                        .. " --clear-groups ") or ""
  if user then -- the FIFO is opened by the program as that user
    assert(sh("chmod 755 " .. dir .. " && chmod 666 " .. dir .. "/in"))
  end
  local script = assert(io.open(dir .. "/run.sh", "w"))
  script:write("sleep 1000 > ", dir, "/in &\n",
               "echo $! > ", dir, "/writer\n",
               "sh -c 'echo $$ > ", dir, "/pid; exec ", run, wrapper or "", " ", path,
               " ", args or "", "' < ", dir, "/in > ", dir, "/out 2> ", dir,
               "/err\n",
               "echo $? > ", dir, "/status\n")
  script:close()
  assert(sh("sh " .. dir .. "/run.sh > /dev/null 2>&1 &"))
  local t = { dir = dir }
  finally(function() -- a failed test leaves no program running
    sh("kill " .. (t.pid or 0) .. " "
       .. (read(dir .. "/writer"):match("%d+") or "") .. " 2>/dev/null")
  end)
  t.pid = eventually(function()
    return math.tointeger(tonumber(read(dir .. "/pid"):match("%d+")))
  end)
  if path ~= name then
    assert(eventually(function() return read(dir .. "/out"):find("%a") end))
  else
    assert(eventually(function()
      return read("/proc/" .. t.pid .. "/stat"):match("^%d+ %(.-%) S")
        and read("/proc/" .. t.pid .. "/cmdline"):find(path, 1, true)
    end))
  end
  return t
end

-- (opening the FIFO waits for a reader: a program that died has none)
local function send(t, line)
  assert(sh("timeout 20 sh -c \"echo '" .. line .. "' > " .. t.dir
            .. "/in\""), "the program reads no input: " .. read(t.dir
            .. "/err"))
end

local function output(t)
  return read(t.dir .. "/out")
end

-- Ends the program's input and waits for its exit status.
local function finish(t)
  sh("kill " .. read(t.dir .. "/writer"):match("%d+") .. " 2>/dev/null")
  return math.tointeger(tonumber(eventually(function()
    return read(t.dir .. "/status"):match("%d+")
  end)))
end

local function kill(t)
  sh("kill " .. t.pid .. " 2>/dev/null")
  finish(t)
end

-- `bin/snare attach PID ARGS`, in the foreground: stdout, stderr, status.
-- `snare`: another snare command (an installed one) instead.
local function attach(t, args, env, snare)
  local err = os.tmpname()
  local pipe = assert(io.popen((env or "") .. " timeout 120 "
                               .. (snare or "bin/snare") .. " attach "
                               .. t.pid .. " " .. args .. " 2>" .. err))
  local out = pipe:read("a")
  local _, _, status = pipe:close()
  local errors = read(err)
  os.remove(err)
  return out, errors, status
end

-- The same in the background; `wait()` then gives what it said.
local function attach_background(t, args)
  local base = t.dir .. "/attach"
  sh("rm -f " .. base .. ".*")
  assert(sh("(timeout 120 bin/snare attach " .. t.pid .. " " .. args .. " > "
            .. base .. ".out 2> " .. base .. ".err; echo $? > " .. base
            .. ".status) &"))
  return {
    -- (attaching stops every thread: a server with hundreds of them,
    -- under ASan and beside another spec file, took over 20 s once)
    attached = function()
      return eventually(function()
        return read(base .. ".err"):find("attached to process", 1, true)
      end, 90)
    end,
    wait = function()
      local status = eventually(function() -- (snare's own limit: 120 s)
        return read(base .. ".status"):match("%d+")
      end, 125)
      return read(base .. ".out"), read(base .. ".err"),
             math.tointeger(tonumber(status))
    end,
  }
end

return { sh = sh, read = read, sleep = sleep, eventually = eventually,
         start = start, send = send, output = output, finish = finish,
         kill = kill, attach = attach, attach_background = attach_background,
         tmpfile = helpers.temp_file }
end }
