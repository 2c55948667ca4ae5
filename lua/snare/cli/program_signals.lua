--- gdb's `signal SIGINT` and `handle SIGINT [no]pass` at the prompt on a
-- program (snare debug -- PROG). A SIGINT (Ctrl-C) stops the program
-- whatever handler it set, as under gdb, and `continue` does not pass it
-- on (gdb's SIGINT: stop, print, no pass); `signal SIGINT` resumes the
-- program with it, running the program's handler on the selected thread
-- (agent/program_sigint.c), and after `handle SIGINT pass` so does a
-- `continue` from a stop by SIGINT.
-- @module snare.cli.program_signals

local Signals = {}

local question = "SIGINT is used by the debugger.\nAre you sure you want to "
  .. "change it? (y or n) [answered Y; input not from terminal]"

local actions = { pass = true, noignore = true, nopass = false,
                  ignore = false }

--- The signals of the program over `core` (snare.agent.core) and
-- `threads` (a snare.cli.program_threads).
function Signals.new(core, threads)
  return setmetatable({ core = core, threads = threads, pass = false,
                        give = false, last_kind = nil },
                      { __index = Signals })
end

--- Notes the kind of the stop shown ("interrupt" for a Ctrl-C).
function Signals:stopped(kind)
  self.last_kind = kind
end

--- Before a resume of the program: gives the selected thread SIGINT when
-- `signal SIGINT` or `handle SIGINT pass` asks for it. Returns "default"
-- when the program left SIGINT at its default action (it is to die of
-- it, as under gdb; nothing was sent), else nil.
function Signals:before_resume()
  local give = self.give or (self.pass and self.last_kind == "interrupt")
  self.give, self.last_kind = false, nil
  local threads = self.threads
  local native = give and threads.selected
    and threads.session:thread_native(threads.selected)
  if native and native ~= 0 then
    return self.core.sigint_deliver(native) == "default" and "default" or nil
  end
end

--- The prompt's commands; `continue(dbg)` is its continue.
function Signals:commands(continue)
  return {
    { name = "signal", usage = "signal SIGNAL",
      help = "resume the program with SIGNAL (SIGINT, or 0 for none)",
      run = function(dbg, args)
        if args == "" then
          dbg:fail("Argument required (signal number).")
        elseif args ~= "0" and args ~= "SIGINT" and args ~= "2" then
          dbg:fail("snare passes only SIGINT to a program (signal SIGINT).")
        end
        self.give = args ~= "0"
        self.last_kind = nil
        return continue(dbg)
      end },
    { name = "handle", usage = "handle SIGINT pass|nopass",
      help = "whether continue passes a Ctrl-C's SIGINT on to the program",
      run = function(dbg, args)
        local sig, rest = args:match("^(%S*)%s*(.-)%s*$")
        if sig == "" then
          dbg:fail("Argument required (signal to handle).")
        elseif sig ~= "SIGINT" then
          dbg:fail("snare handles only SIGINT (handle SIGINT pass|nopass).")
        end
        dbg:out(question)
        for word in rest:gmatch("%S+") do
          if actions[word] == nil then
            dbg:fail(string.format(
              'snare knows only pass and nopass for SIGINT, not "%s".', word))
          end
          self.pass = actions[word]
        end
      end },
  }
end

return Signals
