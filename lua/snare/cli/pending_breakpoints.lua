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
local M = {}

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

  local function arm()
    local r_brk = not loader_stop and o.r_debug
      and o.snare.read_u64(o.r_debug + 16)
    if not r_brk or r_brk == 0 then
      return
    end
    loader_stop = o.session:breakpoint(r_brk, { internal = true,
      condition = function()
        return #points > 0
          and o.snare.read_u32(o.r_debug + 24) == RT_CONSISTENT
      end })
  end
  -- The pseudo breakpoint `info breakpoints`, delete, enable and disable
  -- see until it resolves.
  local function pending(number, args, where, temporary)
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
                          condition = args:match("%f[%w]if%s+(.+)$") }
    points[#points + 1] = point
  end

  -- `message`: gdb's error for the location (Function "F" not defined.).
  function dbg.make_pending(d, args, where, temporary, message)
    local mode = d.restoring and "on" or o.mode()
    if mode == "off" then
      d:fail("%s", message)
    end
    if not d.restoring then -- (its output muted too)
      io.stderr:write(message, "\n")
    end
    local question = "Make breakpoint pending on future shared library load? "
                     .. "(y or [n]) "
    if mode == "auto" and not o.interactive then
      d:out(question .. "[answered N; input not from terminal]")
      return
    elseif mode == "auto" and not (o.ask(question) or ""):match("^%s*[yY]") then
      return
    end
    local number = o.session:breakpoint_number()
    pending(number, args, where, temporary)
    d:out(string.format("%s %d (%s) pending.", temporary
                        and "Temporary breakpoint" or "Breakpoint", number,
                        where))
    arm()
  end

  -- The objects the loader added since the last look, described.
  local function describe_new()
    for _, entry in ipairs(o.link_map(o.r_debug)) do
      if entry.name ~= "" and not o.known[entry.bias] then
        o.known[entry.bias] = true
        local lib = o.snare.load(entry.name, entry.bias)
        if lib then
          o.libraries[#o.libraries + 1] = lib
        end
      end
    end
  end

  local set = require("snare.cli.commands.breakpoints").set_breakpoint
  local function resolve()
    describe_new()
    for _, point in ipairs({ table.unpack(points) }) do
      local note = dbg.notes[point.id]
      if pcall(set, dbg, point.args, point.temporary, point.id) then
        point.clear()
        dbg.resolved_pending[point.id] = true
        dbg.notes[point.id].commands = note.commands
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

  -- A step (next over a dlopen) does not end in the loader: its stop
  -- there is off while it runs, and what the loader added meanwhile is
  -- looked at once the step ended (a call of the new library's made
  -- within the step does not stop, unlike gdb's).
  function threads.around_step(step)
    if not loader_stop then
      return step()
    end
    loader_stop:disable()
    local ok, stop = pcall(step)
    loader_stop:enable()
    if #points > 0 then
      resolve()
    end
    if not ok then
      error(stop, 0)
    end
    return stop
  end
end

return M
