-- Source lines: list.

local snare = require "snare"
local source = require "snare.cli.source"
local languages = require "snare.languages"
local quotes = require "snare.cli.linespec_quotes"

local LINES = 10 -- lines per listing, as gdb's default listsize

-- The display name of `file` (gdb's "filename-display relative": as
-- the compiler named it, relative to its unit's directory).
local function display_name(file, pc)
  local unit = pc and snare.core.unit_at(pc)
  local dir = unit and unit.comp_dir
  if dir and file:sub(1, #dir + 1) == dir .. "/" then
    return file:sub(#dir + 2)
  end
  return file
end

-- The full name of the source file `file` names and an address of code
-- in it, found from line `n` (the nearest line with code: a line with
-- none is listed too).
local function find_file(dbg, file, n)
  for d = 0, 2000 do
    for _, line in ipairs { n + d, n - d } do
      for _, lib in ipairs(line > 0 and dbg.libraries or {}) do
        local addresses = lib:addresses(file, line)
        local row = addresses and snare.line_at(addresses[1])
        if row then
          return row.file, addresses[1]
        end
      end
    end
  end
  dbg:fail('No source file named %s.', file)
end

-- A function's file and line as gdb's linespec gives them to `list`:
-- the line of its entry (its "{"), and that entry.
local function function_line(dbg, name, file)
  local entry = file and dbg:file_function_entry(file .. ":" .. name)
  local entry_row = entry and snare.line_at(entry)
  if entry_row then
    return entry_row.file, entry_row.line, entry
  end
  for _, lib in ipairs(dbg.libraries) do
    local info = lib:function_info(name)
    local row = info and info.entry and snare.line_at(info.entry)
    if row and (not file or row.file == file
                or row.file:sub(-#file - 1) == "/" .. file) then
      return row.file, row.line, info.entry
    end
  end
  if file then
    dbg:fail('Function "%s" not defined in "%s".', name, file)
  end
  dbg:fail('Function "%s" not defined.', name)
end

-- Where a `list` with no line goes first, as gdb's: the selected
-- frame's line, else the stop's, else (nothing run yet) main's: its
-- line after the prologue less 9 (gdb's default source line). Returns
-- file, line, pc.
local function current(dbg)
  local frame = dbg:selected_frame()
  if frame and frame.file then
    return frame.file, frame.line, frame.pc
  end
  if dbg.stop and dbg.stop.file then
    return dbg.stop.file, dbg.stop.line, dbg.stop.pc
  elseif dbg.stop and dbg.session.stopped then
    dbg:fail("No source file: the program is not stopped in code with "
             .. "line information.")
  end
  for _, lib in ipairs(dbg.libraries) do
    local info = lib:function_info("main")
    local row = info and info.after_prologue
      and snare.line_at(info.after_prologue)
    if row then
      return row.file, math.max(1, row.line - (LINES - 1)), info.entry
    end
  end
  dbg:fail("No symbol table is loaded.  Use the \"file\" command.")
end

-- The file and line a `list` argument names: LINE (in the file listed
-- last, else the current one), FILE:LINE, FUNCTION or FILE:FUNCTION
-- (the line of its entry, as gdb's linespec). Returns file, line, pc
-- (an address of code in the file, or nil).
local function target(dbg, args)
  local n = math.tointeger(tonumber(args))
  if n then
    if dbg.listed then
      return dbg.listed.file, n, dbg.listed.pc
    end
    local file, _, pc = current(dbg)
    return file, n, pc
  end
  local file, line = args:match("^(.+):(%d+)$")
  if file then
    local path, pc = find_file(dbg, file, tonumber(line))
    return path, tonumber(line), pc
  end
  local in_file, name = args:match("^(.+):([%a_][%w_]*)$")
  return function_line(dbg, name or args, in_file)
end

-- gdb's error for a listing past the end of `file`.
local function out_of_range(dbg, first, file, pc, count)
  dbg:fail("Line number %d out of range; %s has %d lines.", first,
           display_name(file, pc), count)
end

local function list(dbg, args)
  args = quotes.location(dbg, args:match("^%s*(.-)%s*$"))
  local file, first, last, pc
  local from, to = args:match("^([^,]-)%s*,%s*([^,]-)$")
  local listed = dbg.listed
  if from == "" and to == "" then
    dbg:fail("Two empty args do not say what lines to list.")
  elseif from then -- gdb's FIRST,LAST ranges
    if from ~= "" then
      file, first, pc = target(dbg, from)
      if to ~= "" then
        local _, n = target(dbg, to)
        last = n
      end
    else
      file, last, pc = target(dbg, to)
      first = math.max(1, last - LINES + 1)
    end
  elseif (args == "" or args == "+") and listed then
    file, first, pc = listed.file, listed.last + 1, listed.pc
  elseif args == "-" and listed then -- the lines before those listed
    file, pc = listed.file, listed.pc
    if listed.first <= 1 then
      dbg:fail("Already at the start of %s.", display_name(file, pc))
    end
    first, last = math.max(1, listed.first - LINES), listed.first - 1
  else
    local center
    if args == "" or args == "+" or args == "-" then
      file, center, pc = current(dbg)
    else
      file, center, pc = target(dbg, args)
    end
    first = math.max(1, center - LINES // 2)
  end
  local lines = source.lines(file)
  if not lines then
    dbg:fail("%d\tin %s (cannot read it)", first, file)
  end
  if first > #lines then
    -- the listing stays past the end: list - shows the file's last lines
    dbg.listed = { file = file, first = first, last = first - 1, pc = pc }
    out_of_range(dbg, first, file, pc, #lines)
  end
  last = math.min(#lines, last or first + LINES - 1)
  for k = first, last do
    dbg:out(source.line(file, k))
  end
  dbg.listed = { file = file, first = first, last = last, pc = pc }
end

local normal = require("snare.cli.report").full_path

-- The current source file (listed last, else the selected frame's) and
-- an address of code in it, for its unit.
local function current_source(dbg)
  local frame = dbg:selected_frame()
  local frame_pc = frame and (frame.index == 0 and frame.pc or frame.pc - 1)
  if dbg.listed then
    local file = dbg.listed.file
    if frame and frame.file == file then
      return file, frame_pc
    end
    for line = dbg.listed.last, math.max(1, dbg.listed.last - 200), -1 do
      for _, lib in ipairs(dbg.libraries) do
        local addresses = lib:addresses(file, line)
        if addresses and addresses[1] then
          return file, addresses[1]
        end
      end
    end
    return file, nil
  end
  if frame and frame.file then
    return frame.file, frame_pc
  end
end

-- gdb's `info source`: what the unit's DWARF says of the current file.
local function info_source(dbg)
  local file, pc = current_source(dbg)
  local unit = pc and snare.core.unit_at(pc)
  if not file then
    dbg:out("No current source file.")
    return
  end
  local located = normal(file, unit and unit.comp_dir)
  local name = file
  if unit and unit.name and normal(unit.name, unit.comp_dir) == located then
    name = unit.name -- as the compiler wrote it
  end
  dbg:out("Current source file is " .. name)
  if unit and unit.comp_dir then
    dbg:out("Compilation directory is " .. unit.comp_dir)
  end
  local lines = source.lines(file)
  if lines then
    dbg:out("Located in " .. located)
    dbg:out(("Contains %d lines."):format(#lines))
  end
  if unit then
    local language = languages.name(unit.language)
    if language then
      dbg:out(("Source language is %s."):format(language))
    end
    if unit.producer then
      dbg:out(("Producer is %s."):format(unit.producer))
    end
    dbg:out(("Compiled with DWARF %d debugging format."):format(unit.version))
    dbg:out(unit.macros and "Includes preprocessor macro info."
            or "Does not include preprocessor macro info.")
  end
end

return {
  { name = "source", group = "info", usage = "info source",
    help = "the current source file and what its unit's DWARF says of it",
    run = info_source },
  { name = "list", aliases = { "l" },
    usage = "list [LINE|FILE:LINE|FUNC|FILE:FUNC|FIRST,LAST|-]",
    help = "show source lines (around the stop; again: the next ones; "
      .. "-: the ones before)",
    repeats = true, run = list },
}
