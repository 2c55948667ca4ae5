--- gdb's `set scheduler-locking off|on|step|replay` and `show
-- scheduler-locking` at the prompt on a program: whether the other
-- threads stay parked while the selected one steps or continues
-- (snare.cli.program_threads). They join the prompt's `set` and `show`,
-- whose other forms go on as before.
-- @module snare.cli.scheduler_locking

local forms = require "snare.cli.setting_forms"

local M = {}

local modes = { off = true, on = true, step = true, replay = true }

--- Adds the forms to `dbg`'s `set` and `show`, over `threads` (a
-- snare.cli.program_threads).
function M.install(dbg, threads)
  forms.add(dbg, "set", "^scheduler%-locking%s*(%S*)%s*$", function(d, mode)
    if mode == "" then
      d:fail("Requires an argument. Valid arguments are off, on, step, "
             .. "replay.")
    elseif not modes[mode] then
      d:fail(string.format('Undefined item: "%s".', mode))
    end
    threads.scheduler_locking = mode
  end)
  forms.add(dbg, "show", "^scheduler%-locking()%s*$", function(d)
    d:out(string.format(
      'Mode for locking scheduler during execution is "%s".',
      threads.scheduler_locking))
  end)
end

return M
