-- pending_breakpoints.lua - gdb's pending breakpoints for `snare debug --
-- PROG`: `break FUNC` for a function of no object loaded yet, made as
-- `set breakpoint pending` says (on: pending; off: refused; auto: gdb's
-- question, answered no when the input is not a terminal), set when the
-- program's loader adds an object that defines it. Carried into the next
-- process pending, as gdb keeps them across runs.
--
-- The loader tells a debugger of every change to its list at r_debug's
-- r_brk (glibc's _dl_debug_state): an internal breakpoint there, whose
-- condition holds only while some breakpoint is pending and the list is
-- consistent (r_state RT_CONSISTENT, the new objects mapped), stops the
-- thread. Its event is taken before anything of the thread is unwound
-- or named (Threads.passes): the thread holds the loader's lock, which
-- dladdr and dlsym take. The new objects of the link map are described
-- where the loader mapped them (snare.load(name, bias); a dlopen would
-- wait for that lock too), the pending breakpoints that resolve now are
-- set with the numbers they were given, and the thread goes on without
-- a word, as under gdb.
--
-- While an object found so is loaded, the loader's stop holds at every
-- change too: an object the program closed (dlclose) is gone from the
-- list, and its code from memory. Its breakpoints are gdb's pending ones
-- again, with their numbers, hit counts, conditions, ignore counts and
-- commands ("Temporarily disabling breakpoints for unloaded shared
-- library", once per object that had one), the object is forgotten
-- without a write to where it was (lib:unloaded()), and they are set
-- again when it comes back.
local M = {}

local carry = require "snare.cli.run_carry"

local RT_CONSISTENT = 0

--- Installs pending breakpoints into `dbg` (its make_pending and
-- pending_points) and `threads` (its passes and around_step). `o`: session (the
-- agent's), snare, r_debug (the loader's, or nil), libraries (the list
-- dbg.libraries is, extended with the objects found), known (bias ->
-- true for the objects snare has already), link_map (function(r_debug)
-- -> entries {bias, name}), mode (function() -> "auto"|"on"|"off"),
-- interactive (gdb asks), ask (function(question) -> answer line).
function M.install(dbg, threads, o)
  local points = {}
  dbg.pending_points = points
  dbg.resolved_pending = {} -- number -> true, once set
  local loader_stop
  local added = {} -- bias -> { lib =, name = }: objects described here

  local function arm()
    local r_brk = not loader_stop and o.r_debug
      and o.snare.read_u64(o.r_debug + 16)
    if not r_brk or r_brk == 0 then
      return
    end
    loader_stop = o.session:breakpoint(r_brk, { internal = true,
      condition = function()
        return (#points > 0 or next(added) ~= nil)
          and o.snare.read_u32(o.r_debug + 24) == RT_CONSISTENT
      end })
  end
  -- The pseudo breakpoint `info breakpoints`, delete, enable and disable
  -- see until it resolves.
  -- `where`: what info breakpoints shows of it; `unparsed`: its
  -- condition is part of that text (gdb's, before the location is found).
  local function pending(number, args, where, temporary, unparsed)
    local point = { id = number, enabled = true, hits = 0, addresses = {},
                    pending = true, args = args, temporary = temporary }
    function point.clear()
      for i, p in ipairs(points) do
        if p == point then
          table.remove(points, i)
        end
      end
    end
    function point.enable() point.enabled = true end
    function point.disable() point.enabled = false end
    dbg.notes[number] = { temporary = temporary, pending = where,
                          condition = args:match("%f[%w]if%s+(.+)$"),
                          unparsed = unparsed }
    points[#points + 1] = point
  end

  -- `message`: gdb's error for the location (Function "F" not defined.);
  -- the pending location is the text typed, its condition included.
  function dbg.make_pending(d, args, temporary, message)
    local mode = d.restoring and "on" or o.mode()
    if mode == "off" then
      d:fail("%s", message)
    end
    if not d.restoring then -- (its output muted too)
      io.stderr:write(message, "\n")
    end
    local where = args:match("^%s*(.-)%s*$")
    local question = "Make breakpoint pending on future shared library load? "
                     .. "(y or [n]) "
    if mode == "auto" and not o.interactive then
      d:out(question .. "[answered N; input not from terminal]")
      return
    elseif mode == "auto" and not (o.ask(question) or ""):match("^%s*[yY]") then
      return
    end
    local number = o.session:breakpoint_number()
    pending(number, args, where, temporary, true)
    d:out(string.format("%s %d (%s) pending.", temporary
                        and "Temporary breakpoint" or "Breakpoint", number,
                        where))
    arm()
  end

  -- Breakpoint `bp`, whose object the loader closed, pending again as
  -- it was made, its counts kept.
  local function pending_again(bp)
    local note = dbg.notes[bp.id] or {}
    local where = note.pending_text or note.where
    pending(bp.id, note.pending_args or where .. (note.condition
              and " if " .. note.condition or ""), where, note.temporary)
    local fresh = dbg.notes[bp.id]
    fresh.pending_text, fresh.pending_args = note.pending_text,
                                             note.pending_args
    fresh.commands, fresh.ignore = note.commands, note.ignore
    fresh.hits_before = carry.hits(bp, note)
    points[#points].enabled = bp.enabled
  end

  -- An object the loader closed: its breakpoints pending again, then
  -- the object forgotten, its bytes never written.
  local function unloaded(object)
    local gone = {}
    for _, bp in ipairs(o.session:breakpoints()) do
      if bp.id > 0 and object.lib:symbol_at(bp.address) then
        gone[#gone + 1] = bp
      end
    end
    for _, bp in ipairs(gone) do
      pending_again(bp)
    end
    if #gone > 0 then
      io.stderr:write(string.format('warning: Temporarily disabling '
        .. 'breakpoints for unloaded shared library "%s"\n', object.name))
    end
    for i, lib in ipairs(o.libraries) do
      if lib == object.lib then
        table.remove(o.libraries, i)
        break
      end
    end
    object.lib:unloaded()
  end

  -- The objects the loader added since the last look, described; those
  -- described here it closed since, forgotten.
  local function look_at_objects()
    local listed = {}
    for _, entry in ipairs(o.link_map(o.r_debug)) do
      listed[entry.bias] = true
    end
    for bias, object in pairs(added) do
      if not listed[bias] then
        added[bias], o.known[bias] = nil, nil
        unloaded(object)
      end
    end
    for _, entry in ipairs(o.link_map(o.r_debug)) do
      if entry.name ~= "" and not o.known[entry.bias] then
        o.known[entry.bias] = true
        local lib = o.snare.load(entry.name, entry.bias)
        if lib then
          o.libraries[#o.libraries + 1] = lib
          added[entry.bias] = { lib = lib, name = entry.name }
        end
      end
    end
  end

  local set = require("snare.cli.commands.breakpoints").set_breakpoint
  local function resolve()
    look_at_objects()
    for _, point in ipairs({ table.unpack(points) }) do
      local note = dbg.notes[point.id]
      if pcall(set, dbg, point.args, point.temporary, point.id) then
        point.clear()
        dbg.resolved_pending[point.id] = true
        local fresh = dbg.notes[point.id]
        fresh.commands, fresh.ignore = note.commands, note.ignore
        fresh.hits_before = note.hits_before
        -- (pending again, it shows what it was made with, as gdb's)
        fresh.pending_text = note.pending_text or note.pending
        fresh.pending_args = note.pending_args or point.args
        if not point.enabled then
          for _, bp in ipairs(o.session:breakpoints()) do
            if bp.id == point.id then
              bp:disable()
            end
          end
        end
      end
    end
  end

  function threads.passes(ev)
    if not loader_stop or ev.breakpoint_id ~= loader_stop.id then
      return false
    end
    resolve()
    return true
  end

  -- Where the frame a step runs in goes on once the calls it made (down
  -- to the dlopen) return: the innermost caller of the loader's frames
  -- whose CFA is not below `cfa`, the frame the step began in (or its
  -- caller, the step having returned there). (Frames are unwound, not
  -- named: the thread holds the loader's lock, which dladdr takes.)
  local function resumes_at(id, cfa)
    for _, frame in ipairs(o.session:thread_backtrace(id)) do
      if frame.index > 0 and frame.cfa >= cfa then
        return frame.pc
      end
    end
  end

  -- A step (next over a dlopen) that ends at the loader's stop goes on
  -- once the objects the loader added (or closed) are looked at, as
  -- gdb's does: back to the frame it began in, then on with the step
  -- from there, so that a call of the new library's made on the same
  -- line stops at its breakpoint. A stop on the way (a breakpoint in the
  -- library's constructor) ends the step there. Other steps (finish,
  -- until, an instruction) do not end in the loader: its stop is off
  -- while they run, and what the loader did meanwhile is looked at once
  -- they end.
  local line_steps = { next = true, step_line = true }
  function threads.around_step(step, method)
    if not loader_stop then
      return step()
    elseif not line_steps[method] then
      loader_stop:disable()
      local ok, stop = pcall(step)
      loader_stop:enable()
      if #points > 0 or next(added) ~= nil then
        resolve()
      end
      if not ok then
        error(stop, 0)
      end
      return stop
    end
    local id = threads.selected
    local from = o.session:thread_frame(id, 0)
    local cfa = from and from.cfa
    local line = from and o.snare.line_at(from.pc)
    local stop = step()
    while cfa and stop.breakpoint_id == loader_stop.id do
      resolve()
      local pc = resumes_at(id, cfa)
      if not pc then
        break
      end
      -- (each advance also ends where the frame it runs in returns)
      repeat
        stop = o.session:thread_advance(id, pc)
      until stop.kind ~= "step" or stop.pc == pc
      local here = o.snare.line_at(pc)
      if stop.pc ~= pc or (stop.breakpoint_id or 0) > 0
         or here and line and here.address == pc and here.line ~= line.line
      then -- (the call returned to the start of another line: gdb's
        return stop -- step ends there)
      end
      stop = step()
    end
    return stop
  end
end

return M
