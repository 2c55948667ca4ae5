-- The objects the prompt debugs: info sharedlibrary.

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

return {
  { name = "sharedlibrary", group = "info", aliases = { "dll" },
    usage = "info sharedlibrary", help = "the libraries being debugged",
    run = info_sharedlibrary },
}
