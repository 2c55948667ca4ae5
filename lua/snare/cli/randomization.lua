--- gdb's `set disable-randomization on|off` and `show
-- disable-randomization` at the prompt on a program: whether the
-- program's next process starts with address space randomisation off
-- (the personality flag ADDR_NO_RANDOMIZE; snare.cli.profile launches
-- it so), on by default as in gdb. The setting goes from one process to
-- the next with what runs carry (snare.cli.run_carry's table, field
-- disable_randomization), and snare.cli.debug_program launches each
-- process as the previous one left it. A process that has not run yet
-- but was launched the other way is replaced at `run`, as gdb's setting
-- takes effect at the next `run`.
-- @module snare.cli.randomization

local forms = require "snare.cli.setting_forms"

local M = {}

--- Whether a carried table says to start the program with randomisation
-- off (gdb's default when nothing was carried).
function M.disabled(carried)
  return carried.disable_randomization ~= false
end

--- Adds the forms to `dbg`'s `set` and `show`; `launched`: whether this
-- process started with randomisation off. Returns the setting: a table
-- whose `disabled` is the current value and `stale()` tells whether it
-- differs from how this process started.
function M.install(dbg, launched)
  local setting = { disabled = launched }
  function setting.stale()
    return setting.disabled ~= launched
  end
  forms.add(dbg, "set", "^disable%-randomization%f[%s\0]%s*(.-)%s*$",
            function(d, word)
    local value = forms.boolean(word)
    if value == nil then
      d:fail('"on" or "off" expected.')
    end
    setting.disabled = value
  end)
  -- (gdb's show takes no operand and ignores one)
  forms.add(dbg, "show", "^disable%-randomization%f[%s\0](.*)$", function(d)
    d:out(("Disabling randomization of debuggee's virtual address space "
           .. "is %s."):format(setting.disabled and "on" or "off"))
  end)
  return setting
end

return M
