--- Watchpoints at the prompt as gdb shows them: the titles of each
-- kind, the hit report ("Old value = 4" / "New value = 5"), the scope
-- end, and their rows in `info breakpoints`.
-- @module snare.cli.watch

local watch = {}

-- gdb's names of the kinds: as announced and stopped at, and in tables.
local titles = {
  write = "Hardware watchpoint",
  read = "Hardware read watchpoint",
  access = "Hardware access (read/write) watchpoint",
}
local types = { write = "hw watchpoint", read = "read watchpoint",
                access = "acc watchpoint" }

--- "Hardware watchpoint 2: counter" for a watchpoint and its note.
function watch.title(id, note)
  return string.format("%s %d: %s", titles[note.kind], id, note.expression)
end

-- A raw value of `length` bytes as the signed C integer it most likely is.
local function signed(value, length)
  if length >= 8 then
    return value
  end
  local bits = length * 8
  value = value & ((1 << bits) - 1)
  return value >= 1 << (bits - 1) and value - (1 << bits) or value
end

--- Prints what a watchpoint stop (or a step that changed a watched
-- value) says before the location, through out(line).
function watch.report(out, stop, note)
  local id = stop.watchpoint_id
  if stop.reason == "watchpoint's frame returned" then
    out("")
    out(string.format("Watchpoint %d deleted because the program has left "
                      .. "the block in", id))
    out("which its expression is valid.")
    return
  end
  local length = note and note.length or 8
  local old = signed(stop.old_value, length)
  local new = signed(stop.new_value, length)
  out("")
  out(note and watch.title(id, note) or string.format("Watchpoint %d", id))
  out("")
  if old == new then
    out(string.format("Value = %d", new))
  else
    out(string.format("Old value = %d", old))
    out(string.format("New value = %d", new))
  end
end

--- The rows of watchpoint `wp` in `info breakpoints` / `info watchpoints`.
function watch.rows(wp, note)
  local rows = { string.format("%-7d %-14s keep %-3s %-18s %s", wp.id,
                               types[wp.kind] or wp.kind,
                               wp.enabled and "y" or "n", "",
                               note and note.expression or "") }
  if note and note.condition then
    rows[#rows + 1] = "\tstop only if " .. note.condition
  end
  if wp.hits > 0 then
    rows[#rows + 1] = string.format("\tbreakpoint already hit %d time%s",
                                    wp.hits, wp.hits == 1 and "" or "s")
  end
  return rows
end

--- The numbers `args` lists for info breakpoints/watchpoints N... (gdb's
-- numbers and ranges, "2 4-6") as a set, nil for none listed.
function watch.numbers(dbg, args)
  if args == nil or args:match("^%s*$") then
    return nil
  end
  local set = {}
  for word in args:gmatch("%S+") do
    local first, last = word:match("^(%d+)%-(%d+)$")
    first = first or word:match("^%d+$")
    last = last or first
    if not first then
      dbg:fail("Convenience variable must have integer value.\n"
               .. "Args must be numbers or '$' variables.")
    end
    for id = tonumber(first), tonumber(last) do
      set[id] = true
    end
  end
  return set
end

return watch
