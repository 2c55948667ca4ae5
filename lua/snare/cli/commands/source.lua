-- Source lines: list.

local snare = require "snare"
local source = require "snare.cli.source"
local languages = require "snare.cli.languages"

local LINES = 10 -- lines per listing, as gdb's default listsize

-- The file and line a `list` argument names: LINE (in the file listed
-- last or of the selected frame), FILE:LINE, or a FUNCTION (its
-- declaration). Returns file, line.
local function target(dbg, args)
  local frame = dbg:selected_frame()
  local current = dbg.listed and dbg.listed.file
    or frame and frame.file or dbg.stop and dbg.stop.file
  if args == "" then
    if not current then
      dbg:fail("No source file: the program is not stopped in code with "
               .. "line information.")
    end
    return current, frame and frame.line or dbg.stop.line
  end
  local n = math.tointeger(tonumber(args))
  if n then
    if not current then
      dbg:fail("No default source file.")
    end
    return current, n
  end
  local file, line = args:match("^(.+):(%d+)$")
  if file then
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
    if info and info.decl_file and info.decl_line then
      return info.decl_file, info.decl_line
    end
  end
  dbg:fail('Function "%s" not defined.', args)
end

local function list(dbg, args)
  local file, first, last
  local from, to = args:match("^%s*([^,]-)%s*,%s*([^,]-)%s*$")
  if from and (from ~= "" or to ~= "") then -- gdb's FIRST,LAST ranges
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
    -- (gdb 13's words; the file as snare's frames name it)
    dbg:fail("Line number %d out of range; %s has %d lines.", first,
             file:match("[^/]*$"), #lines)
  end
  last = math.min(#lines, last or first + LINES - 1)
  for n = first, last do
    dbg:out(source.line(file, n))
  end
  dbg.listed = { file = file, last = last }
end

-- `path` with "." and ".." taken out (gdb's "Located in" of a relative
-- name), relative to `dir` when it is relative.
local function normal(path, dir)
  if path:sub(1, 1) ~= "/" and dir then
    path = dir .. "/" .. path
  end
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return (path:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
end

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
    usage = "list [LINE|FILE:LINE|FUNC|FIRST,LAST]",
    help = "show source lines (around the stop; again: the next ones)",
    repeats = true, run = list },
}
