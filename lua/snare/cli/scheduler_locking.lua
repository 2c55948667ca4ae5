--- gdb's `set scheduler-locking off|on|step|replay` and `show
-- scheduler-locking` at the prompt on a program: whether the other
-- threads stay parked while the selected one steps or continues
-- (snare.cli.program_threads). They join the prompt's `set` and `show`,
-- whose other forms go on as before.
-- @module snare.cli.scheduler_locking

local M = {}

local modes = { off = true, on = true, step = true, replay = true }

local function find(dbg, name)
  for _, command in ipairs(dbg.commands.list) do
    if command.name == name then
      return command
    end
  end
end

--- Adds the forms to `dbg`'s `set` and `show`, over `threads` (a
-- snare.cli.program_threads).
function M.install(dbg, threads)
  local set, show = find(dbg, "set"), find(dbg, "show")
  local set_run, show_run = set.run, show.run
  set.run = function(d, args, ...)
    local mode = args:match("^scheduler%-locking%s*(%S*)%s*$")
    if not mode then
      return set_run(d, args, ...)
    elseif mode == "" then
      d:fail("Requires an argument. Valid arguments are off, on, step, "
             .. "replay.")
    elseif not modes[mode] then
      d:fail(string.format('Undefined item: "%s".', mode))
    end
    threads.scheduler_locking = mode
  end
  show.run = function(d, args, ...)
    if not args:match("^scheduler%-locking%s*$") then
      return show_run(d, args, ...)
    end
    d:out(string.format(
      'Mode for locking scheduler during execution is "%s".',
      threads.scheduler_locking))
  end
end

return M
