-- Values of the selected frame as gdb lists them: info args, info
-- locals; and the expressions shown at every stop: display, undisplay,
-- info display.

local expr = require "snare.expr"
local regexp = require "snare.cli.regexp"

local function selected_frame(dbg)
  local frame = dbg:selected_frame()
  if not frame then
    dbg:fail("No frame selected.")
  end
  return frame
end

-- The value of a variable whose name an earlier one (an inner block's)
-- shadows: located by its place in the frame's list (0 first).
local function shadowed_value(frame, index, name)
  local where, why = frame:locate(index)
  if not where then
    error(why, 0)
  end
  return expr.located(where, name)
end

-- "name = value" for each entry (gdb's own order) of `frame` (the
-- selected one if nil), or `none`; each value after `indent` if given.
-- first: the place of entries[1] in the frame's list (parameters, then
-- locals).
local function list(dbg, entries, none, first, frame, indent)
  indent = indent or ""
  if #entries == 0 then
    dbg:out(none)
    return
  end
  frame = frame or dbg:selected_frame()
  local seen = {}
  for i, entry in ipairs(entries) do
    local text = "<optimized out>"
    if not entry.problem then
      local ok, v
      if seen[entry.name] and first and frame.locate then
        ok, v = pcall(shadowed_value, frame, first + i - 1, entry.name)
      else
        ok, v = pcall(expr.frame_value, frame, entry.name)
      end
      text = ok and expr.format(v, { pretty = dbg.print_pretty, nested = true })
        or ("<error: " .. tostring(v) .. ">")
    end
    seen[entry.name] = true
    dbg:out(indent .. entry.name .. " = " .. text)
  end
end

-- The name of the type of `frame`'s variable `name` as gdb prints it
-- ("struct point *"), or "".
local function type_name(frame, name)
  local where = frame.locate and frame:locate(name)
  return where and where.type and expr.types.name(expr.types.from_ref(where.type))
    or ""
end

-- gdb 13's [-q] [-t TYPEREGEXP] [NAMEREGEXP] of info args and info
-- locals: the entries whose name (and type) match, and what to say when
-- none does ("No matching arguments.", nothing with -q). first: as
-- list's, for the entries unfiltered (a filtered list reads a shadowed
-- name's value by name).
local function filtered(dbg, entries, args, none, first)
  local quiet, type_regex = false, nil
  local word, rest = args:match("^(%S+)%s*(.-)$")
  while word == "-q" or word == "-t" do
    if word == "-t" then
      local regex
      regex, rest = rest:match("^(%S*)%s*(.-)$")
      if regex == "" then
        dbg:fail("-t requires an argument")
      end
      type_regex = regexp.compile(dbg, regex)
    else
      quiet = true
    end
    args = rest
    word, rest = args:match("^(%S+)%s*(.-)$")
  end
  if args == "--" then
    args = ""
  end
  if args ~= "" or type_regex then
    local name_regex = args ~= "" and regexp.compile(dbg, args)
    local frame = dbg:selected_frame()
    local kept = {}
    for _, entry in ipairs(entries) do
      if (not name_regex or name_regex:find(entry.name))
         and (not type_regex
              or type_regex:find(type_name(frame, entry.name))) then
        kept[#kept + 1] = entry
      end
    end
    entries = kept
    none = none:gsub("^No ", "No matching ")
    first = nil
  end
  if #entries == 0 and quiet then
    return
  end
  list(dbg, entries, none, first)
end

local function info_args(dbg, args)
  local frame = selected_frame(dbg)
  local ok, params = pcall(frame.params, frame)
  filtered(dbg, ok and params or {}, args or "", "No arguments.")
end

local function info_locals(dbg, args)
  local frame = selected_frame(dbg)
  local ok, locals = pcall(frame.locals, frame)
  local got, params = pcall(frame.params, frame)
  filtered(dbg, ok and locals or {}, args or "", "No locals.",
           got and #params or nil)
end

--- The locals of `frame` as `backtrace full` shows them under it.
local function frame_locals(dbg, frame)
  local ok, locals = pcall(frame.locals, frame)
  if not (ok and frame.file) then
    dbg:out("No symbol table info available.")
    return
  end
  local got, params = pcall(frame.params, frame)
  list(dbg, locals, "No locals.", got and #params or nil, frame, "        ")
end

--- Shows display `d` ("1: x = 5", "2: /x y = 0x5") if it can be shown.
local function show(dbg, d)
  local ok, v = pcall(dbg.evaluate, dbg, d.text)
  if not ok then
    return
  end
  local text = expr.format(v, { format = d.format, pretty = dbg.print_pretty })
  dbg:out(string.format("%d: %s%s = %s", d.id,
                        d.format and ("/" .. d.format .. " ") or "", d.text,
                        text))
end

local function display(dbg, args, modifier)
  dbg.displays = dbg.displays or {}
  if args == "" and modifier then
    dbg:fail("Argument required (expression to compute).")
  elseif args == "" then
    for _, d in ipairs(dbg.displays) do
      show(dbg, d)
    end
    return
  end
  if modifier and not modifier:match("^[xduotacfsz]$") then
    dbg:fail('Undefined output format "%s".', modifier)
  end
  if dbg.session.stopped then -- as gdb, one it cannot show is not made
    dbg:evaluate(args)
  end
  dbg.display_count = (dbg.display_count or 0) + 1
  local d = { id = dbg.display_count, text = args, format = modifier }
  dbg.displays[#dbg.displays + 1] = d
  if dbg.session.stopped then
    show(dbg, d)
  end
end

local function undisplay(dbg, args)
  local ids = {}
  for _, d in ipairs(dbg.displays or {}) do
    ids[d.id] = true
  end
  for word in args:gmatch("%d+") do -- gdb's note, and on to the others
    if not ids[tonumber(word)] then
      dbg:out(string.format("No display number %s.", word))
    end
  end
  local keep = {}
  for _, d in ipairs(dbg.displays or {}) do
    local listed = args == ""
    for word in args:gmatch("%d+") do
      listed = listed or tonumber(word) == d.id
    end
    if not listed then
      keep[#keep + 1] = d
    end
  end
  dbg.displays = keep
end

local function info_display(dbg)
  if #(dbg.displays or {}) == 0 then
    dbg:out("There are no auto-display expressions now.")
    return
  end
  dbg:out("Auto-display expressions now in effect:")
  dbg:out("Num Enb Expression")
  for _, d in ipairs(dbg.displays) do
    dbg:out(string.format("%d:   y  %s%s", d.id,
                          d.format and ("/" .. d.format .. " ") or "", d.text))
  end
end

return {
  { name = "args", group = "info", usage = "info args [-q] [NAMEREGEXP]",
    help = "the arguments of the selected frame", run = info_args },
  { name = "locals", group = "info", usage = "info locals [-q] [NAMEREGEXP]",
    help = "the local variables of the selected frame", run = info_locals },
  { name = "display", usage = "display[/F] [EXPR]",
    help = "show EXPR at every stop (alone: show them all now)",
    run = display },
  { name = "undisplay", usage = "undisplay [N...]",
    help = "stop showing displays (all without numbers)", run = undisplay },
  { name = "display", group = "info", usage = "info display",
    help = "the expressions shown at every stop", run = info_display },
  show = show,
  frame_locals = frame_locals,
}
