-- spec/helpers.lua - what the busted specs of the Lua API share.
local snare = require "snare"

local helpers = {}

local fixtures = os.getenv("SNARE_FIXTURES") or "build/fixtures"

--- Path of a fixture shared object: NAME.c built at LEVEL ("O0", "O2").
function helpers.fixture(name, level)
  return string.format("%s/%s/lib%s.so", fixtures, level or "O0", name)
end

--- Path of a fixture program: spec/fixtures/programs/NAME.c(pp), -O0.
function helpers.program(name)
  return fixtures .. "/bin/" .. name
end

--- The directory build/NAME of the checkout, for what a spec builds
-- itself (programs compiled, compressed, split): the same path in the
-- release and ASan runs, whose SNARE_BUILD differ. Built there from the
-- same sources, the programs are the same bytes at the same paths, so
-- the ASan run's gdb command lines are the release run's and
-- spec/gdb_cache.lua answers them from what gdb said then instead of
-- running it again. make test runs the two one after the other.
function helpers.shared_build(name)
  return assert(os.getenv("PWD"), "PWD") .. "/build/" .. name
end

--- Each breakpoint's number and its hit count in `info breakpoints`
-- output (gdb's or snare's; 0 where it says none).
function helpers.hit_counts(text)
  local counts, current = {}, nil
  for line in text:gmatch("[^\n]+") do
    local n = line:match("^(%d+)%s+breakpoint%s")
    if n then
      current = tonumber(n)
      counts[current] = 0
    end
    local hits = line:match("^\tbreakpoint already hit (%d+) time")
    if hits and current then
      counts[current] = tonumber(hits)
    end
  end
  return counts
end

--- Loads a fixture library (asserting that it loads).
function helpers.load(name, level)
  return assert(snare.load(helpers.fixture(name, level)))
end

--- The whole text of the file at `path`, or nil if it cannot be read.
function helpers.read_file(path)
  local f = io.open(path)
  if not f then
    return nil
  end
  local text = f:read("a")
  f:close()
  return text
end

--- `s` quoted for a POSIX shell (single quotes).
function helpers.quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- Runs a shell command line; its stdout and stderr together.
function helpers.run(command)
  local pipe = assert(io.popen(command .. " 2>&1"))
  local out = pipe:read("a")
  pipe:close()
  return out
end

--- Runs a shell command line; its stdout, its stderr and its exit status
-- as the shell reports it (128 + N for a death by signal N).
function helpers.run_apart(command)
  local err = os.tmpname()
  local pipe = assert(io.popen(command .. " 2>" .. err
                               .. "; echo \"exit=$?\""))
  local out = pipe:read("a")
  pipe:close()
  local stderr = helpers.read_file(err)
  os.remove(err)
  local status = tonumber(out:match("exit=(%d+)\n$"))
  return out:gsub("exit=%d+\n$", ""), stderr, status
end

--- A new temporary file holding `text`; its path.
function helpers.temp_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

--- How many of the lines `a` (snare's) and `b` (gdb's) differ, index by
-- index; each difference is printed, under `label`.
function helpers.mismatches(label, a, b)
  local bad = 0
  for i = 1, math.max(#a, #b) do
    if a[i] ~= b[i] then
      bad = bad + 1
      print(string.format("%s: snare %q, gdb %q", label, tostring(a[i]),
                          tostring(b[i])))
    end
  end
  return bad
end

--- `-ex` words that run `commands` (a list), each after an echoed
-- marker line "@@@ INDEX" that `helpers.sections` splits the output at.
function helpers.marked_commands(commands)
  local args = {}
  for i, c in ipairs(commands) do
    args[#args + 1] = "-ex " .. helpers.quote("echo @@@ " .. i .. "\\n")
    args[#args + 1] = "-ex " .. helpers.quote(c)
  end
  return table.concat(args, " ")
end

--- The non-empty output lines of each command of
-- `helpers.marked_commands`, by the command's index.
function helpers.sections(out)
  local found, index = {}, nil
  for line in out:gmatch("[^\n]*") do
    local marker = line:match("^@@@ (%d+)$")
    if marker then
      index = tonumber(marker)
      found[index] = {}
    elseif index and line ~= "" then
      table.insert(found[index], line)
    end
  end
  return found
end

local open_sessions = {}

--- A new session that `helpers.close_sessions` (run it in after_each)
-- closes, whatever happened in the test.
function helpers.session(opts)
  local s = snare.session(opts)
  open_sessions[#open_sessions + 1] = s
  return s
end

--- Closes the sessions made by `helpers.session`.
function helpers.close_sessions()
  for i, s in ipairs(open_sessions) do
    s:close()
    open_sessions[i] = nil
  end
end

-- gdb 13.1 cannot call a function in the inferior on a CPU whose XSAVE
-- area holds components it does not know (AMX tile state): writing the
-- registers back fails with "Couldn't write extended state status: Bad
-- address." (gdb 14 sizes the area from CPUID). Asked of gdb once.
local gdb_call_error
--- nil where gdb 13 calls functions in the inferior on this machine, else
-- the error gdb gives for every call.
function helpers.gdb_call_failure()
  if gdb_call_error == nil then
    local out = helpers.run(string.format(
      "timeout 60 env -u LD_PRELOAD gdb -nx -batch -iex 'set debuginfod "
      .. "enabled off' -ex 'break main' -ex run -ex 'p (int) getpid()' %s",
      helpers.quote(helpers.program("twin_globals"))))
    gdb_call_error = out:match("(Couldn't write extended state status[^\n]*)")
      or false
  end
  return gdb_call_error or nil
end

--- A copy of the command list `commands` without those of the list
-- `dropped` (the calls gdb cannot make here), its mask kept.
function helpers.without(commands, dropped)
  local drop = {}
  for _, c in ipairs(dropped) do
    drop[c] = true
  end
  local kept = { mask = commands.mask }
  for _, c in ipairs(commands) do
    if not drop[c] then
      kept[#kept + 1] = c
    end
  end
  return kept
end

return helpers
