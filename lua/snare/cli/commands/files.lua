-- The objects the prompt debugs: file/load LIB.so, info sharedlibrary.

local snare = require "snare"

-- The code range of a library: its first function to the end of its last.
local function code_range(lib)
  local fns = lib:functions()
  if #fns == 0 then
    return lib.base, lib.base
  end
  local last = fns[#fns]
  return fns[1].address, last.address + (last.size or 0)
end

local function info_sharedlibrary(dbg)
  if #dbg.libraries == 0 then
    dbg:out("No shared libraries loaded at this time.")
    return
  end
  dbg:out("From                To                  Syms Read   Shared Object "
          .. "Library")
  local missing = false
  for _, lib in ipairs(dbg.libraries) do
    local from, to = code_range(lib)
    local fns = lib:functions()
    local debug = #fns > 0 and lib:line_at(fns[1].address) ~= nil
    missing = missing or not debug
    dbg:out(string.format("0x%016x  0x%016x  %-11s %s", from, to,
                          debug and "Yes" or "Yes (*)", lib.path))
  end
  if missing then
    dbg:out("(*): Shared library is missing debugging information.")
  end
end

-- `file LIB.so` / `load LIB.so`: one more library to debug (found in
-- the current directory as on the command line).
local function load(dbg, args)
  if args == "" then
    dbg:fail("Argument required (a shared object to load).")
  end
  local path = args
  local here = not path:find("/", 1, true) and io.open(path)
  if here then
    here:close()
    path = "./" .. path
  end
  dbg:out(string.format("Reading symbols from %s...", args))
  local lib, err = snare.load(path)
  if not lib and err:match("No such file or directory$") then
    dbg:fail("%s: No such file or directory.", args) -- gdb's words
  elseif not lib then
    dbg:fail("%s", err)
  end
  dbg.libraries[#dbg.libraries + 1] = lib
  dbg.env:forget()
end

return {
  { name = "file", aliases = { "load" }, usage = "file LIB.so",
    help = "load one more shared object to debug", run = load },
  { name = "sharedlibrary", group = "info", aliases = { "dll" },
    usage = "info sharedlibrary", help = "the libraries being debugged",
    run = info_sharedlibrary },
}
