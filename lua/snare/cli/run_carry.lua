--- What the prompt of `snare debug -- PROG` carries from one process to
-- the next, as gdb keeps it across runs: each breakpoint with its
-- number, the line that made it (`break f`, `tbreak f`), enabled or not,
-- its condition (and whether it was read: a pending one's is part of
-- its text until then), the crossings still to ignore, its commands and
-- its hit count (shown until the program runs again, when it starts again
-- from 0, as gdb's does); the next number to give; the value
-- history (`$1`...), each value as its type's name and bytes, the type
-- found again by name in the new process (a value whose type has no C
-- name there, such as a register's vector union, comes back void).
-- Plain tables, for snare.cli.debug_state.
-- @module snare.cli.run_carry

local expr = require "snare.expr"

local carry = {}

--- Breakpoint `bp`'s hit count as gdb's (`note`: its prompt note): the
-- crossings but those where its condition was false (in Lua, or in the
-- core's native program), the steps that ended on it (note.landed), and
-- those of its earlier settings in an object the loader has closed since
-- (note.hits_before).
function carry.hits(bp, note)
  return math.max(0, bp.hits - (note.untrue or 0) - (bp.native_rejected or 0))
         + (note.landed or 0) + (note.hits_before or 0)
end

--- The state of the prompt `dbg` to carry: `made` lists {line =, id =}
-- of the breakpoints lines made, `highest` the highest number given;
-- `started` when the program ran in this process (its hit counts are
-- carried, else those carried into it).
function carry.save(dbg, session, made, highest, started)
  local alive = {}
  for _, bp in ipairs(session:breakpoints()) do
    alive[bp.id] = bp
  end
  for _, point in ipairs(dbg.pending_points or {}) do -- (not set yet)
    alive[point.id] = point
  end
  local breakpoints = {}
  for _, m in ipairs(made) do
    local bp = alive[m.id]
    if bp then
      local note = dbg.notes[m.id] or {}
      breakpoints[#breakpoints + 1] = {
        m.id, m.line, bp.enabled, note.condition or false, note.ignore or 0,
        note.commands or {},
        started and carry.hits(bp, note) or note.earlier_hits or 0,
        not note.unparsed }
    end
  end
  local history = {}
  for i, v in ipairs(dbg.values) do
    local ok, bytes = pcall(expr.value.bytes, v)
    history[i] = { expr.types.name(v.type), ok and bytes or false }
  end
  return { breakpoints = breakpoints, next_number = highest + 1,
           history = history }
end

--- Sets the carried state again in `dbg` (whose output is muted), with
-- `execute(line)` running a line and returning the number of the
-- breakpoint it made, if any.
function carry.restore(dbg, session, carried, execute)
  for _, b in ipairs(carried.breakpoints or {}) do
    local id, line, enabled, condition, ignore, commands, hits, parsed =
      table.unpack(b)
    session:breakpoint_numbers_from(id)
    local made = execute(line)
    local note = made and dbg.notes[made]
    if note then
      note.condition = condition or nil
      note.test = condition and dbg:compile_condition(condition) or nil
      note.ignore = ignore > 0 and ignore or nil
      note.commands = #commands > 0 and commands or nil
      note.earlier_hits = (hits or 0) > 0 and hits or nil
      -- (a pending one whose condition was read once it was set shows it)
      note.unparsed = note.unparsed and not parsed or nil
      if not enabled then
        execute("disable " .. made)
      end
    end
  end
  if carried.next_number then
    session:breakpoint_numbers_from(carried.next_number)
  end
  for i, h in ipairs(carried.history or {}) do
    local name, bytes = h[1], h[2]
    local ok, t = pcall(expr.type, name, dbg.env)
    if ok and t and bytes and expr.types.strip(t).size == #bytes then
      dbg.values[i] = { type = t, bytes = bytes }
    else
      dbg.values[i] = { type = expr.types.void, bytes = "" }
    end
  end
end

--- The program runs (again): hit counts start from 0, as gdb's do at
-- `run`.
function carry.started(dbg)
  for _, note in pairs(dbg.notes) do
    note.earlier_hits = nil
    note.untrue = nil -- (the new process's crossings are counted anew)
    note.landed = nil
    note.hits_before = nil
  end
end

return carry
