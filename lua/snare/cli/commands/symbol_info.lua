-- What an address or a line is, as gdb answers: info symbol ADDR,
-- info line FUNC|FILE:LINE|*ADDR; and which functions there are: info
-- functions [-q] [REGEX].

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local shared_objects = require "snare.cli.shared_objects"
local quotes = require "snare.cli.linespec_quotes"
local symbol_listing = require "snare.cli.symbol_listing"
local names = require "snare.function_names"
local languages = require "snare.languages"

-- The loaded library whose file is `path` (a symbol's library).
local function library_of(dbg, path)
  for _, lib in ipairs(dbg.libraries) do
    if lib.path == path then
      return lib
    end
  end
end

-- Whether gdb knows more than one object file: it names the object in
-- its answer then (the program alone before `run`).
local function several_objects(dbg)
  if dbg.shared_objects then
    return #dbg.shared_objects() > 0
  end
  return #dbg.libraries > 1
end

-- gdb's minimal symbol name of function symbol `sym` of `lib`: a C++
-- one demangled whole from its ELF name ("int ns::sum<int>(int, int)"),
-- where snare's name for it is the qualified "ns::sum<int>".
local function minimal_name(lib, sym)
  if not sym.is_function or not sym.name:find("::", 1, true) then
    return sym.name
  end
  for _, fn in ipairs(shared_objects.function_symbols(lib.path)) do
    if lib.base + fn.addr == sym.address and fn.name:match("^_Z") then
      return names.minimal_name(fn.name)
    end
  end
  return sym.name
end

-- `info symbol ADDR`: "scale + 11 in section .text of /path/prog".
local function info_symbol(dbg, args)
  if args == "" then
    dbg:fail("Argument required (address).")
  end
  local addr = require("snare.expr.image").loaded(dbg:address(args))
  local sym = snare.symbol_at(addr)
  local lib = sym and library_of(dbg, sym.library)
  local section = lib and shared_objects.section_at(lib.path, addr - lib.base)
  if not section then -- (gdb's answer, not an error)
    dbg:out(string.format("No symbol matches %s.", args))
    return
  end
  local offset = addr - sym.address
  local name = minimal_name(lib, sym)
  local text = offset == 0 and name or string.format("%s + %d", name, offset)
  text = text .. " in section " .. section
  if several_objects(dbg) then
    local file = report.library_at and report.library_at(addr) or lib.path
    text = text .. " of " .. file
  end
  dbg:out(text)
end

-- `info address NAME` as gdb's for a name of file scope: a variable of
-- static storage, a function, a symbol without debug information (before
-- `run`, the program's at the file's address). A local of the selected
-- frame is refused: gdb shows its DWARF location expression.
local function info_address(dbg, args)
  local name = args:match("^%s*(.-)%s*$")
  if name == "" then
    dbg:fail("Argument required.")
  end
  local frame = dbg.session.stopped and dbg:selected_frame()
  local here = frame and frame.locate and frame:locate(name)
  if here and here.optimized_out then
    dbg:out(string.format('Symbol "%s" is optimized out.', name))
    return
  elseif here then
    dbg:fail('Symbol "%s" is a local: info address does not show its DWARF '
             .. "location.", name)
  end
  local found, address = snare.core.find_global(name)
  if found then
    dbg:out(string.format('Symbol "%s" is static storage at address %s.',
                          name, report.hex(address)))
    return
  end
  -- before `run` gdb knows the program alone: a libc function is its stub
  local unloaded = require("snare.expr.image").unloaded
  local ok, addr = pcall(snare.symbol, unloaded and name .. "@plt" or name)
  if not (ok and addr) then
    ok, addr = pcall(snare.symbol, name)
  end
  addr = ok and addr or snare.core.process_symbol(name)
  if not addr then
    dbg:fail('No symbol "%s" in current context.', name)
  end
  -- (a function of debug information by that name: libc's printf is
  -- __printf's alias, a symbol without it to gdb)
  local row = snare.line_at(addr)
  if row and row["function"] == name then
    dbg:out(string.format('Symbol "%s" is a function at address %s.', name,
                          report.hex(addr)))
  else
    dbg:out(string.format('Symbol "%s" is at %s in a file compiled without '
                          .. "debugging.", name, report.hex(addr)))
  end
end

-- The line-table row at `addr` and where it ends (the next row's start).
local function row_at(addr)
  local row = snare.core.line_at(addr)
  if not row then
    return nil
  end
  local finish = row.address + 1
  while true do
    local next_row = snare.core.line_at(finish)
    if not next_row or next_row.address ~= row.address then
      break
    end
    finish = finish + 1
  end
  return row, finish
end

-- Remembers that info line showed `line` of `file`: a bare `info line`
-- shows the next one, as gdb's, until a stop, frame or list changes what
-- the current line is.
local function shown_line(dbg, file, line)
  dbg.info_line_shown = { context = dbg.listed or dbg.stop,
                          frame = dbg.frame_index, file = file, line = line }
end

-- The line a bare `info line` means: the one after the line it showed
-- last, else the first listed, else the selected frame's; file and line,
-- or nil when there is none (before anything was listed or ran).
local function default_line(dbg)
  local shown = dbg.info_line_shown
  if shown and shown.context == (dbg.listed or dbg.stop)
     and shown.frame == dbg.frame_index then
    return shown.file, shown.line + 1
  elseif dbg.listed then
    return dbg.listed.file, dbg.listed.first
  end
  local frame = dbg.session.stopped and dbg:selected_frame()
  if frame and frame.file and frame.line then
    return frame.file, frame.line
  end
end

-- `info line FILE:LINE` as gdb (info_line_command): the code of the
-- line's first statement row, else the address of the next line that has
-- one ("contains no code"), else out of range (lib:line_span), in the
-- first loaded library that knows the file.
local function info_file_line(dbg, args, file, line)
  shown_line(dbg, file, line)
  local span
  for _, lib in ipairs(dbg.libraries) do
    span = lib:line_span(file, line)
    if span then
      break
    end
  end
  if not span then -- no such file: gdb's words for the location
    local ok, err = pcall(snare.core.locations, dbg:location(args))
    dbg:location_failed(ok and "" or err, args)
  end
  local name = report.file_name(span.file, span.start)
  if span.out_of_range then -- (gdb's answer, not an error)
    dbg:out(string.format('Line number %d is out of range for "%s".', line,
                          name))
  elseif span.finish > span.start then
    dbg:out(string.format('Line %d of "%s" starts at address %s and ends at '
                          .. "%s.", line, name, report.address(span.start),
                          report.address(span.finish)))
  else
    dbg:out(string.format('Line %d of "%s" is at address %s but contains '
                          .. "no code.", line, name,
                          report.address(span.start)))
  end
end

-- The address `info line` asks about: *ADDR's, a function's entry.
local function asked_address(dbg, args)
  local address_text = args:match("^%*%s*(.+)$")
  if address_text then
    return dbg:address(address_text)
  end
  local entry = dbg:file_function_entry(args)
  if entry then
    return entry
  end
  local ok, addr = pcall(snare.symbol, args)
  if not ok or not addr then
    dbg:fail('Function "%s" not defined.', args)
  end
  return addr
end

-- The entries of the C++ functions `args` names (overloads, a template's
-- instances), highest first as gdb answers for them; nil for fewer than
-- two (one function, or none: asked_address answers). Inlined copies
-- are not counted.
local function overload_entries(dbg, args)
  local ok, places = pcall(snare.core.locations, dbg:location(args))
  local entries, seen = {}, {}
  for _, place in ipairs(ok and places or {}) do
    local sym = snare.symbol_at(place)
    local row = snare.line_at(place)
    if sym and sym.is_function and row and row.linkage
       and not snare.core.source_frame_at(place, 1)
       and not seen[sym.address] then
      seen[sym.address] = true
      entries[#entries + 1] = sym.address
    end
  end
  table.sort(entries, function(a, b) return a > b end)
  return #entries > 1 and entries or nil
end

-- `info line *ADDR`'s answer for `addr`.
local function info_address_line(dbg, addr)
  local row, finish = row_at(addr)
  if not row then -- (gdb's answer, not an error)
    dbg:out(snare.describe(addr) and
            "No line number information available for address "
              .. report.address(addr)
            or "No line number information available.")
    return
  end
  shown_line(dbg, row.file, row.line)
  dbg:out(string.format('Line %d of "%s" starts at address %s and ends at %s.',
                        row.line, report.file_name(row.file, addr),
                        report.address(row.address), report.address(finish)))
end

-- `info line LOCATION`: where the line's code starts and ends.
local function info_line(dbg, args)
  args = quotes.location(dbg, args)
  if args == "" then
    local file, line = default_line(dbg)
    if not file then -- (gdb's answer, not an error)
      dbg:out("No line number information available.")
      return
    end
    info_file_line(dbg, file .. ":" .. line, file, line)
    return
  end
  local file, line = args:match("^(.+):(%d+)$")
  if not file and args:match("^%d+$") then -- a line of the current file
    file, line = dbg:location("1"):match("^(.+):"), args
  end
  if file and not args:match("^%*") then
    info_file_line(dbg, args, file, tonumber(line))
    return
  end
  local entries = not args:match("^%*") and overload_entries(dbg, args)
  if entries then
    for _, entry in ipairs(entries) do
      info_address_line(dbg, entry)
    end
    return
  end
  info_address_line(dbg, asked_address(dbg, args))
end

-- The C++ function with debug information entered at `address` of `lib`:
-- { print_name = gdb's ("ns::twice(int)"), key = a name function_info
-- knows it by }, or nil (a C function, or none starts there).
local function cxx_function(lib, address)
  local row = lib:line_at(address)
  local key = row and (row.linkage or row["function"])
  local ok, info = pcall(lib.function_info, lib, key or "")
  if not (ok and info and info.entry == address) or
     not (row.linkage or languages.name(snare.core.language_at(address))
          == "c++") then
    return nil
  end
  return { print_name = names.print_name(row, address), key = key }
end

-- gdb's prototype of a C++ function of type `t` named by its print name
-- (which has its parameters): the return type, then the name.
local function cxx_prototype(t, print_name)
  local returned = t.target and expr.types.name(t.target) or "void"
  return names.cxx_spelling(returned) .. " " .. print_name
end

-- `info functions [-q] [-n] [REGEX]`: the matching functions with debug
-- information by source file (then name), each "LINE:\tPROTOTYPE;"
-- ("static " before a file's own, ELF symbols of local binding; a C++
-- function once, by its print name); then, unless -n, the others, PLT
-- stubs included ("atoi@plt"), by address, a C++ one by its ELF name
-- demangled whole.
local function functions_of(listing, lib, flags)
  local dbg = listing.dbg
  local symbols = shared_objects.function_symbols(lib.path)
  local file_local = {}
  for _, fn in ipairs(symbols) do
    if fn.file_local then
      file_local[lib.base + fn.addr] = true
    end
  end
  local function consider(name, address, cxx)
    if not symbol_listing.matches(listing, name) then
      return
    end
    local t = dbg.env:function_type(address)
    local ok, info = pcall(lib.function_info, lib, cxx and cxx.key or name)
    local line = t and lib:line_at(address)
    if line then
      local global = not file_local[address]
      local prototype = cxx and cxx_prototype(t, name)
        or expr.types.name(t, name)
      symbol_listing.add(listing, report.file_name(line.file, address),
                         name, global, ok and info and info.decl_line,
                         (global and "" or "static ") .. prototype .. ";")
    elseif not flags.n then
      symbol_listing.add_other(listing, name, address)
    end
  end
  local seen = {}
  local function once(name, address)
    local cxx = cxx_function(lib, address)
    local key = cxx and address or name .. "@" .. address
    if not seen[key] then
      seen[key] = true
      consider(cxx and cxx.print_name or names.minimal_name(name), address,
               cxx)
    end
  end
  for _, fn in ipairs(lib:functions()) do
    -- (a C++ function without DWARF comes by its ELF name below)
    if not fn.name:match("^sub_%x+$") and (cxx_function(lib, fn.address)
       or not fn.name:find("::", 1, true)) then
      once(fn.name, fn.address)
    end
  end
  for _, fn in ipairs(symbols) do
    once(fn.name, lib.base + fn.addr)
  end
  -- the PLT's entries, named as the symbols snare gives them ("atoi@plt")
  for _, sec in ipairs(shared_objects.sections(lib.path) or {}) do
    local step = ({ [".plt"] = 16, [".plt.sec"] = 16, [".plt.got"] = 8 })
      [sec.name]
    for at = sec.addr, step and sec.addr + sec.size - 1 or -1, step or 1 do
      local sym = snare.symbol_at(lib.base + at)
      if sym and sym.address == lib.base + at and sym.name:match("@plt$") then
        once(sym.name, sym.address)
      end
    end
  end
end

local info_functions = symbol_listing.command("functions", "qn",
                                              functions_of)

return {
  { name = "symbol", group = "info", usage = "info symbol ADDR",
    help = "the symbol and section an address is in", run = info_symbol },
  { name = "address", group = "info", usage = "info address NAME",
    help = "where a variable or function of file scope is",
    run = info_address },
  { name = "line", group = "info",
    usage = "info line FUNCTION|FILE:LINE|*ADDR",
    help = "where a line's code starts and ends", run = info_line },
  { name = "functions", group = "info",
    usage = "info functions [-q] [-n] [REGEX]",
    help = "the functions whose name matches, with their prototypes",
    run = info_functions },
}
