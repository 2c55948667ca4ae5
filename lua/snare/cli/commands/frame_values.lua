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

-- "name = value" for each entry (gdb's own order), or `none`.
local function list(dbg, entries, none)
  if #entries == 0 then
    dbg:out(none)
    return
  end
  local frame = dbg:selected_frame()
  for _, entry in ipairs(entries) do
    local text = "<optimized out>"
    if not entry.problem then
      local ok, v = pcall(expr.frame_value, frame, entry.name)
      text = ok and expr.format(v, { pretty = dbg.print_pretty, nested = true })
        or ("<error: " .. tostring(v) .. ">")
    end
    dbg:out(entry.name .. " = " .. text)
  end
end

-- gdb 13's [-q] [NAMEREGEXP] of info args and info locals: the entries
-- whose name matches, and what to say when none does ("No matching
-- arguments.", nothing with -q).
local function filtered(dbg, entries, args, none, kind)
  local quiet = false
  local word, rest = args:match("^(%S+)%s*(.-)$")
  while word == "-q" or word == "-t" do
    if word == "-t" then
      dbg:fail("info %s -t TYPEREGEXP is not supported", kind)
    end
    quiet = true
    args = rest
    word, rest = args:match("^(%S+)%s*(.-)$")
  end
  if args == "--" then
    args = ""
  end
  if args ~= "" then
    local pattern = regexp.pattern(dbg, args, "info " .. kind)
    local kept = {}
    for _, entry in ipairs(entries) do
      if entry.name:find(pattern) then
        kept[#kept + 1] = entry
      end
    end
    entries = kept
    none = none:gsub("^No ", "No matching ")
  end
  if #entries == 0 and quiet then
    return
  end
  list(dbg, entries, none)
end

local function info_args(dbg, args)
  local frame = selected_frame(dbg)
  local ok, params = pcall(frame.params, frame)
  filtered(dbg, ok and params or {}, args or "", "No arguments.", "args")
end

local function info_locals(dbg, args)
  local frame = selected_frame(dbg)
  local ok, locals = pcall(frame.locals, frame)
  filtered(dbg, ok and locals or {}, args or "", "No locals.", "locals")
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
  if args == "" then
    for _, d in ipairs(dbg.displays) do
      show(dbg, d)
    end
    return
  end
  if modifier and not modifier:match("^[xduotacfsz]$") then
    dbg:fail('Undefined output format "%s".', modifier)
  end
  dbg.display_count = (dbg.display_count or 0) + 1
  local d = { id = dbg.display_count, text = args, format = modifier }
  dbg.displays[#dbg.displays + 1] = d
  if dbg.session.stopped then
    show(dbg, d)
  end
end

local function undisplay(dbg, args)
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
}
