-- Source lines: list.

local snare = require "snare"
local core = require "snare.core"
local source = require "snare.cli.source"

local LINES = 10 -- lines per listing, as gdb's default listsize

-- The line of the code at addr, or nil.
local function line_of(addr)
  local row = addr and snare.line_at(addr)
  return row and row.file, row and row.line
end

-- gdb's default source line before anything is listed or stopped: main's
-- file, where a listing of main's first line past its prologue would end
-- (that line less 9). Returns file, line, or nil.
local function default_line(dbg)
  for _, lib in ipairs(dbg.libraries) do
    local info = lib:function_info("main")
    local file, line = line_of(info and info.after_prologue)
    if file then
      return file, math.max(1, line - (LINES - 1))
    end
  end
end

-- The file and line a `list` argument names: LINE (in the file listed
-- last or of the selected frame), FILE:LINE, or a FUNCTION (its first
-- line of code, as gdb centres it). Returns file, line.
local function target(dbg, args)
  local frame = dbg:selected_frame()
  local current = dbg.listed and dbg.listed.file
    or frame and frame.file or dbg.stop and dbg.stop.file
  if args == "" then
    if not current then
      local file, line = default_line(dbg)
      if file then
        return file, line
      end
      dbg:fail("No source file: the program is not stopped in code with "
               .. "line information.")
    end
    return current, frame and frame.line or dbg.stop.line
  end
  local n = math.tointeger(tonumber(args))
  if n then
    current = current or default_line(dbg)
    if not current then
      dbg:fail("No default source file.")
    end
    return current, n
  end
  local file, line = args:match("^(.+):(%d+)$")
  if file then
    -- a line without code names its file through the next line with code
    local ok, moved = pcall(core.locations, file .. ":" .. line)
    local moved_row = ok and snare.line_at(moved[1])
    if moved_row then
      return moved_row.file, tonumber(line)
    end
    for _, lib in ipairs(dbg.libraries) do
      local addresses = lib:addresses(file, tonumber(line))
      local row = addresses and snare.line_at(addresses[1])
      if row then
        return row.file, tonumber(line)
      end
    end
    dbg:fail('No source file named %s.', file)
  end
  for _, lib in ipairs(dbg.libraries) do
    local info = lib:function_info(args)
    local entry_file, entry_line = line_of(info and info.entry)
    if entry_file then
      return entry_file, entry_line
    elseif info and info.decl_file and info.decl_line then
      return info.decl_file, info.decl_line
    end
  end
  dbg:fail('Function "%s" not defined.', args)
end

local function list(dbg, args)
  local file, first, last
  local from, to = args:match("^%s*([^,]-)%s*,%s*([^,]-)%s*$")
  -- list + is list alone: the lines after the last listed; list - before
  -- any listing is list alone too, as gdb 13's
  if args == "+" or (args == "-" and not dbg.listed) then
    args = ""
  end
  if from == "" and to == "" then
    dbg:fail("Two empty args do not say what lines to list.")
  elseif args == "-" and dbg.listed then -- the lines before the last listed
    local listed = dbg.listed
    if listed.first == 1 then
      dbg:fail("Already at the start of %s.", listed.file:match("[^/]*$"))
    end
    file, first, last = listed.file, math.max(1, listed.first - LINES),
                        listed.first - 1
  elseif from then -- gdb's FIRST,LAST ranges
    if from ~= "" then
      file, first = target(dbg, from)
      if to ~= "" then
        local _, n = target(dbg, to)
        last = n
      end
    else
      file, last = target(dbg, to)
      first = math.max(1, last - LINES + 1)
    end
  elseif args == "" and dbg.listed then
    file, first = dbg.listed.file, dbg.listed.last + 1
  else
    local center
    file, center = target(dbg, args)
    first = math.max(1, center - LINES // 2)
  end
  local lines = source.lines(file)
  if not lines then
    dbg:fail("%d\tin %s (cannot read it)", first, file)
  end
  if first > #lines then
    -- the listing stays past the end: list - shows the file's last lines
    dbg.listed = { file = file, first = first, last = first - 1 }
    -- (gdb 13's words; the file as snare's frames name it)
    dbg:fail("Line number %d out of range; %s has %d lines.", first,
             file:match("[^/]*$"), #lines)
  end
  last = math.min(#lines, last or first + LINES - 1)
  for n = first, last do
    dbg:out(source.line(file, n))
  end
  dbg.listed = { file = file, first = first, last = last }
end

return {
  { name = "list", aliases = { "l" },
    usage = "list [LINE|FILE:LINE|FUNC|FIRST,LAST|+|-]",
    help = "show source lines (around the stop; again: the next ones)",
    repeats = true, run = list },
}
