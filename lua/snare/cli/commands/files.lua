-- The objects the prompt debugs: file/load LIB.so, info sharedlibrary.

local snare = require "snare"
local regexp = require "snare.cli.regexp"

-- The code range of a library: its first function to the end of its last.
local function code_range(lib)
  local fns = lib:functions()
  if #fns == 0 then
    return lib.base, lib.base
  end
  local last = fns[#fns]
  return fns[1].address, last.address + (last.size or 0)
end

-- The rows of info sharedlibrary: the prompt's own list where it has one
-- (dbg.shared_objects, `snare debug -- PROG`), else the libraries loaded.
local function shared_objects(dbg)
  if dbg.shared_objects then
    return dbg.shared_objects()
  end
  local rows = {}
  for _, lib in ipairs(dbg.libraries) do
    local from, to = code_range(lib)
    local fns = lib:functions()
    rows[#rows + 1] = {
      from = from, to = to, name = lib.path,
      debug = #fns > 0 and lib:line_at(fns[1].address) ~= nil,
    }
  end
  return rows
end

-- `info sharedlibrary [REGEX]`, as gdb: the objects whose name matches.
local function info_sharedlibrary(dbg, args)
  local rows = shared_objects(dbg)
  local regex = args ~= "" and regexp.compile(dbg, args)
  local shown = {}
  for _, row in ipairs(rows) do
    if not regex or regex:find(row.name) then
      shown[#shown + 1] = row
    end
  end
  if #shown == 0 then
    dbg:out(regex and "No shared libraries matched."
            or "No shared libraries loaded at this time.")
    return
  end
  dbg:out("From                To                  Syms Read   Shared Object "
          .. "Library")
  local missing = false
  for _, row in ipairs(shown) do
    missing = missing or not row.debug
    dbg:out(string.format("%-18s  %-18s  %-11s %s",
                          row.from and string.format("0x%016x", row.from) or "",
                          row.to and string.format("0x%016x", row.to) or "",
                          row.debug and "Yes" or "Yes (*)", row.name))
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
    usage = "info sharedlibrary [REGEX]", help = "the libraries being debugged",
    run = info_sharedlibrary },
}
