-- spec/gdb_cache.lua - gdb's answers (the oracle's, never snare's) kept
-- from the release busted run for the ASan one. `make test` runs every
-- spec twice, and gdb (not under ASan either time) is given the same
-- command on the same files both times: the second run reads what the
-- first wrote instead of running gdb again.
--
-- On only where SNARE_GDB_CACHE names a directory (the Makefile's
-- busted-release empties build/gdb_cache and fills it, busted-asan reads
-- it); a spec run alone runs gdb each time. An entry's key is the command
-- line, the directory it runs in, the standard input given, and the
-- contents of every file the command names (the program, a preloaded
-- library, a gdb script) and of the shared objects ldd finds for each
-- ELF one: a rebuilt fixture is a new key. Left out: the environment,
-- which in the two runs differs only in the build's variables (they move
-- the inferior's stack; the specs compare gdb's frames with snare's with
-- addresses taken out).
--
-- Only runs with a fixed course go through here: gdb -batch whose stops
-- are breakpoints and steps. Not runs whose course depends on timing (a
-- SIGINT sent from outside, debug_program_helpers' interrupted; gdb
-- attached to a pid), and no answer with a status that says the run was
-- cut short (timeout's 124, or killed by a signal) is kept.
local M = {}

local dir = os.getenv("SNARE_GDB_CACHE")

local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function read_all(command)
  local pipe = assert(io.popen(command))
  local text = pipe:read("a")
  pipe:close()
  return text
end

local function is_file(path)
  local f = io.open(path, "rb")
  if not f then
    return false
  end
  -- a directory opens, but does not read
  local head = f:read(4)
  f:close()
  return head ~= nil, head == "\127ELF"
end

-- The files `command` (a string or a list of words) names: each word,
-- and each part of one between spaces, quotes and "=", that is a path
-- (holds a "/") of a file; with the shared objects of the ELF ones.
local function named_files(command)
  local text = type(command) == "table" and table.concat(command, "\n")
    or command
  local files, seen = {}, {}
  local function add(path)
    if not seen[path] then
      seen[path] = true
      files[#files + 1] = path
    end
  end
  local elves = {}
  for word in text:gmatch("[^%s'\"=]+") do
    if word:find("/", 1, true) and not seen[word] then
      local file, elf = is_file(word)
      if file then
        add(word)
        if elf then
          elves[#elves + 1] = quote(word)
        end
      end
    end
  end
  if #elves > 0 then
    -- (ldd without the sanitizer runtime the ASan run preloads, which
    -- it would list)
    local deps = read_all("env -u LD_PRELOAD ldd " .. table.concat(elves, " ")
                          .. " 2>/dev/null")
    for path in deps:gmatch("(/[^%s]+) %(0x") do
      add(path)
    end
  end
  return files
end

local function key(command, input)
  local parts = { "cwd " .. (os.getenv("PWD") or "?"),
                  "input " .. tostring(input) }
  if type(command) == "table" then
    for _, w in ipairs(command) do
      parts[#parts + 1] = "word " .. w
    end
  else
    parts[#parts + 1] = "command " .. command
  end
  local files = named_files(command)
  if #files > 0 then
    local quoted = {}
    for i, f in ipairs(files) do
      quoted[i] = quote(f)
    end
    parts[#parts + 1] = read_all("sha256sum " .. table.concat(quoted, " "))
  end
  local manifest = os.tmpname()
  local f = assert(io.open(manifest, "wb"))
  f:write(table.concat(parts, "\0"))
  f:close()
  local sum = read_all("sha256sum " .. quote(manifest)):match("^%x+")
  os.remove(manifest)
  return assert(sum, "sha256sum")
end

-- Whether `values` (what the run returned) say it was cut short.
local function cut_short(values)
  for i = 1, values.n do
    local v = values[i]
    if math.type(v) == "integer" and (v == 124 or v >= 128) then
      return true
    end
  end
  return false
end

local function store(path, values)
  local out = { "return { n = " .. values.n }
  for i = 1, values.n do
    local v = values[i]
    local t = type(v)
    assert(t == "string" or t == "number" or t == "boolean" or t == "nil",
           "gdb_cache: a run returned a " .. t)
    out[#out + 1] = string.format(", [%d] = %s", i,
                                  t == "string" and string.format("%q", v)
                                    or tostring(v))
  end
  out[#out + 1] = " }\n"
  -- written whole, then renamed: a run stopped midway leaves no entry,
  -- and two spec processes storing the same entry at once (busted_jobs)
  -- each rename a file of their own
  local partial = string.format("%s.%x.partial", path,
                                math.random(0, math.maxinteger))
  local f = assert(io.open(partial, "wb"))
  f:write(table.concat(out))
  f:close()
  assert(os.rename(partial, path))
end

--- `run(command)`'s values, `run` a function that runs gdb's `command`
-- (a shell command or a list of words; `input`, if any, the standard
-- input `run` gives it, for the key) and returns strings, numbers and
-- booleans: from the cache when it holds them, else from running it.
function M.run(run, command, input)
  if not dir then
    return run(command)
  end
  local path = dir .. "/" .. key(command, input) .. ".lua"
  local chunk = loadfile(path)
  if chunk then
    local values = chunk()
    return table.unpack(values, 1, values.n)
  end
  local values = table.pack(run(command))
  if not cut_short(values) then
    os.execute("mkdir -p " .. quote(dir))
    store(path, values)
  end
  return table.unpack(values, 1, values.n)
end

return M
