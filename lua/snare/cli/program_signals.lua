--- gdb's signal table at the prompt on a program (snare debug -- PROG):
-- `handle SIGNAL... [no]stop [no]print [no]pass`, `info signals [SIG]`
-- (`info handle`), `signal SIG`. A signal the program gets stops it,
-- is said ("Program received signal SIGUSR1, User defined signal 1.")
-- and goes on to the program as the table says (agent/program_signals.c
-- catches it in the program). A SIGINT (Ctrl-C) stops the program
-- whatever handler it set, as under gdb, and `continue` does not pass it
-- on; `signal SIGINT` resumes the program with it, running the program's
-- handler on the selected thread (agent/program_sigint.c), and after
-- `handle SIGINT pass` so does a `continue` from a stop by SIGINT.
-- @module snare.cli.program_signals

local Signals = {}

-- Linux's signals in the order of gdb's table, with gdb's names and
-- descriptions and gdb's defaults (stop, print, pass); `fixed` says why
-- snare cannot change a row: "snare" (snare's own signals and the faults
-- it stops at), "unseen" (those it never catches: SIGKILL, SIGSTOP, job
-- control, SIGCHLD; they go to the program untouched).
local rows = {
  { "SIGHUP", 1, "Hangup" }, { "SIGINT", 2, "Interrupt", pass = false },
  { "SIGQUIT", 3, "Quit" },
  { "SIGILL", 4, "Illegal instruction", fixed = "snare" },
  { "SIGTRAP", 5, "Trace/breakpoint trap", pass = false, fixed = "snare" },
  { "SIGABRT", 6, "Aborted", fixed = "snare" },
  { "SIGFPE", 8, "Arithmetic exception", fixed = "snare" },
  { "SIGKILL", 9, "Killed", fixed = "unseen" },
  { "SIGBUS", 7, "Bus error", fixed = "snare" },
  { "SIGSEGV", 11, "Segmentation fault", fixed = "snare" },
  { "SIGSYS", 31, "Bad system call" }, { "SIGPIPE", 13, "Broken pipe" },
  { "SIGALRM", 14, "Alarm clock", quiet = true },
  { "SIGTERM", 15, "Terminated" },
  { "SIGURG", 23, "Urgent I/O condition", quiet = true },
  { "SIGSTOP", 19, "Stopped (signal)", fixed = "unseen" },
  { "SIGTSTP", 20, "Stopped (user)", fixed = "unseen" },
  { "SIGCONT", 18, "Continued", fixed = "unseen" },
  { "SIGCHLD", 17, "Child status changed", quiet = true, fixed = "unseen" },
  { "SIGTTIN", 21, "Stopped (tty input)", fixed = "unseen" },
  { "SIGTTOU", 22, "Stopped (tty output)", fixed = "unseen" },
  { "SIGIO", 29, "I/O possible", quiet = true },
  { "SIGXCPU", 24, "CPU time limit exceeded" },
  { "SIGXFSZ", 25, "File size limit exceeded" },
  { "SIGVTALRM", 26, "Virtual timer expired", quiet = true },
  { "SIGPROF", 27, "Profiling timer expired", quiet = true },
  { "SIGWINCH", 28, "Window size changed", quiet = true },
  { "SIGUSR1", 10, "User defined signal 1" },
  { "SIGUSR2", 12, "User defined signal 2" },
  { "SIGPWR", 30, "Power fail/restart" },
}
for n = 34, 64 do
  rows[#rows + 1] = { "SIG" .. n, n, "Real-time event " .. n }
end

local by_name, by_number = {}, {}
for _, r in ipairs(rows) do
  r.name, r.number, r.description = r[1], r[2], r[3]
  by_name[r.name], by_number[r.number] = r, r
end

-- gdb's numbers for signals given as numbers (1-15, its own enum).
local gdb_numbers = { "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
                      "SIGABRT", "SIGEMT", "SIGFPE", "SIGKILL", "SIGBUS",
                      "SIGSEGV", "SIGSYS", "SIGPIPE", "SIGALRM", "SIGTERM" }

local only_numbers = "Only signals 1-15 are valid as numeric signals.\n"
  .. 'Use "info signals" for a list of symbolic signals.'
local header = "Signal        Stop\tPrint\tPass to program\tDescription"

--- gdb's name and description of Linux signal `number` ("SIGUSR1",
-- "User defined signal 1"), or nil.
function Signals.describe(number)
  local r = by_number[number]
  if r then
    return r.name, r.description
  end
end

--- The signals of the program over `core` (snare.agent.core) and
-- `threads` (a snare.cli.program_threads); `quiet` when the commands do
-- not come from a user (gdb's batch mode: `handle` shows no table).
function Signals.new(core, threads, quiet)
  local self = setmetatable({ core = core, threads = threads, pass = false,
                              give = false, last_kind = nil, quiet = quiet,
                              state = {}, stopped_at = nil },
                            { __index = Signals })
  for _, r in ipairs(rows) do
    self.state[r.name] = r.fixed == "unseen" and { false, false, true }
      or { not r.quiet, not r.quiet, r.pass ~= false }
    if not r.fixed and r.name ~= "SIGINT" then
      -- (a probe that keeps nothing: false for snare's own, SIG41...)
      r.followed = core.signal_handle(r.number, false, false, true, "")
      if not r.followed then
        self.state[r.name] = { false, false, false }
      end
      self:apply(r)
    end
  end
  return self
end

-- The agent follows row r as the table says.
function Signals:apply(r)
  if r.followed then
    local s = self.state[r.name]
    self.core.signal_handle(r.number, s[1], s[2], s[3], ("\nProgram received "
      .. "signal %s, %s.\n"):format(r.name, r.description))
  end
end

local function yes(b) return b and "Yes" or "No" end

local function row_line(self, r)
  local s = self.state[r.name]
  return ("%-13s %s\t%s\t%s\t\t%s"):format(r.name, yes(s[1]), yes(s[2]),
                                          yes(s[3]), r.description)
end

-- The stop shown is at a signal the agent caught (the thread waits
-- for its verdict there): its row and the thread.
local function caught_at(stop)
  local r = stop.kind == "signal" and by_number[stop.signal_number]
  if r and r.followed then -- (the faults' rows are not: snare's)
    return r
  end
end

-- Tells the agent whether the signal the selected stop is at goes on.
function Signals:verdict(pass)
  local at = self.stopped_at
  if at then
    if pass == nil then
      pass = self.state[at.row.name][3]
    end
    self.core.signal_pass(at.native, pass)
  end
end

--- Notes the stop shown ("interrupt" for a Ctrl-C, a signal caught).
function Signals:stopped(stop)
  self.last_kind = stop.kind
  self.stopped_at = nil
  local r = caught_at(stop)
  local threads = self.threads
  local native = r and stop.thread and threads.session:thread_native(
    stop.thread)
  if native and native ~= 0 then
    self.stopped_at = { row = r, native = native }
    self:verdict()
  end
end

--- gdb's description of the stop's signal for its "Program received
-- signal" line, or nil.
function Signals.reason(stop)
  local r = by_number[stop.signal_number]
  return r and r.description
end

--- Before a resume of the program: gives the selected thread SIGINT when
-- `signal SIGINT` or `handle SIGINT pass` asks for it. Returns "default"
-- when the program left SIGINT at its default action (it is to die of
-- it, as under gdb; nothing was sent), else nil.
function Signals:before_resume()
  local give = self.give or (self.pass and self.last_kind == "interrupt")
  self.give, self.last_kind, self.stopped_at = false, nil, nil
  local threads = self.threads
  local native = give and threads.selected
    and threads.session:thread_native(threads.selected)
  if native and native ~= 0 then
    return self.core.sigint_deliver(native) == "default" and "default" or nil
  end
end

-- The row of a signal named at the prompt (name or gdb's number), or
-- nil and the message.
local function named(word)
  local n = tonumber(word)
  if n then
    if n < 1 or n > 15 then
      return nil, only_numbers
    end
    word = gdb_numbers[n]
  end
  return by_name[word], word
end

local keywords = {
  { "all", 1 }, { "stop", 2 }, { "ignore", 2 }, { "print", 2 }, { "pass", 2 },
  { "nostop", 3 }, { "noignore", 4 }, { "noprint", 4 }, { "nopass", 4 },
}

-- gdb's keyword a word abbreviates, or nil.
local function keyword(word)
  for _, k in ipairs(keywords) do
    if #word >= k[2] and k[1]:sub(1, #word) == word then
      return k[1]
    end
  end
end

local changes = {
  stop = { true, true }, nostop = { false }, print = { nil, true },
  noprint = { false, false }, pass = { nil, nil, true },
  noignore = { nil, nil, true }, nopass = { nil, nil, false },
  ignore = { nil, nil, false },
}

local used = "%s is used by the debugger.\nAre you sure you want to change it? "
  .. "(y or n) [answered Y; input not from terminal]"

-- What snare cannot change of row r to state s, as a message, or nil.
local function refused(self, r, s)
  local was = self.state[r.name]
  if r.name == "SIGINT" then
    if s[1] ~= was[1] or s[2] ~= was[2] then
      return "snare stops and prints at SIGINT (Ctrl-C) always."
    end
  elseif (r.fixed or not r.followed)
      and (s[1] ~= was[1] or s[2] ~= was[2] or s[3] ~= was[3]) then
    return r.fixed == "unseen"
      and ("snare does not catch %s: it goes to the program as it "
           .. "would without snare."):format(r.name)
      or ("%s is snare's: its handling cannot be changed."):format(r.name)
  end
end

-- `handle ARGS` as gdb's handle_command reads them: signals (names,
-- numbers 1-15, ranges, `all`) and keywords, each keyword changing the
-- signals named before it.
function Signals:handle(dbg, args)
  if args:match("^%s*$") then
    dbg:fail("Argument required (signal to handle).")
  end
  local marked, order, new = {}, {}, {}
  local function mark(r)
    if not marked[r.name] then
      marked[r.name] = true
      order[#order + 1] = r
      local s = self.state[r.name]
      new[r.name] = { s[1], s[2], s[3] }
    end
  end
  for word in args:gmatch("%S+") do
    local k = keyword(word)
    local from, to = word:match("^(%d+)%-(%d+)$")
    if k == "all" then
      for _, r in ipairs(rows) do
        if r.name ~= "SIGINT" and r.name ~= "SIGTRAP" and not r.fixed
            and r.followed then
          mark(r)
        end
      end
    elseif k then
      for _, r in ipairs(order) do
        local c, s = changes[k], new[r.name]
        for i = 1, 3 do
          if c[i] ~= nil then
            s[i] = c[i]
          end
        end
      end
    elseif from or tonumber(word) then
      from, to = tonumber(from or word), tonumber(to or word)
      if from > to then
        from, to = to, from
      end
      for n = from, to do
        local r, why = named(tostring(n))
        if not r and why == only_numbers then
          dbg:fail(why)
        end
        if r then
          if (r.name == "SIGINT" or r.name == "SIGTRAP") and not marked[r.name]
          then
            dbg:out(used:format(r.name))
          end
          mark(r)
        end
      end
    elseif by_name[word] then
      local r = by_name[word]
      if (r.name == "SIGINT" or r.name == "SIGTRAP") and not marked[r.name] then
        dbg:out(used:format(r.name))
      end
      mark(r)
    else
      dbg:fail(('Unrecognized or ambiguous flag word: "%s".'):format(word))
    end
  end
  for _, r in ipairs(order) do
    local why = refused(self, r, new[r.name])
    if why then
      dbg:fail(why)
    end
  end
  for _, r in ipairs(order) do
    self.state[r.name] = new[r.name]
    if r.name == "SIGINT" then
      self.pass = new[r.name][3]
    end
    self:apply(r)
    if self.stopped_at and self.stopped_at.row == r then
      self:verdict()
    end
  end
  if not self.quiet and #order > 0 then
    dbg:out(header)
    for _, r in ipairs(order) do
      dbg:out(row_line(self, r))
    end
  end
end

-- `info signals [SIG]`.
function Signals:info(dbg, args)
  args = args:match("^%s*(.-)%s*$")
  if args == "" then
    dbg:out(header)
    dbg:out("")
    for _, r in ipairs(rows) do
      dbg:out(row_line(self, r))
    end
    dbg:out("")
    dbg:out('Use the "handle" command to change these tables.')
    return
  end
  dbg:out(header)
  local r, why = named(args)
  if not r then
    dbg:fail(why == only_numbers and why
             or ('No symbol "%s" in current context.'):format(args))
  end
  dbg:out(row_line(self, r))
end

--- What to carry to the next process: the rows changed.
function Signals:save()
  local changed = {}
  for name, s in pairs(self.state) do
    changed[#changed + 1] = { name, s[1], s[2], s[3] }
  end
  table.sort(changed, function(a, b) return a[1] < b[1] end)
  return changed
end

--- Sets the rows carried from the previous process again.
function Signals:restore(carried)
  for _, c in ipairs(carried or {}) do
    local r = by_name[c[1]]
    if r then
      self.state[r.name] = { c[2], c[3], c[4] }
      if r.name == "SIGINT" then
        self.pass = c[4]
      end
      self:apply(r)
    end
  end
end

--- The prompt's commands; `continue(dbg)` is its continue.
function Signals:commands(continue)
  return {
    { name = "signal", usage = "signal SIGNAL",
      help = "resume the program with SIGNAL (SIGINT, the signal it stopped "
        .. "at, or 0 for none)",
      run = function(dbg, args)
        local at = self.stopped_at
        local r = args ~= "0" and named(args)
        if args == "" then
          dbg:fail("Argument required (signal number).")
        elseif args == "0" then
          self:verdict(false)
        elseif at and r == at.row then
          self:verdict(true)
        elseif r and r.name == "SIGINT" then
          self.give = true
          self:verdict(false)
        else
          dbg:fail("snare passes only SIGINT, or the signal the program "
                   .. "stopped at, to a program.")
        end
        self.last_kind = nil
        return continue(dbg)
      end },
    { name = "handle", usage = "handle SIGNAL... [no]stop|[no]print|[no]pass",
      help = "what a signal the program gets does: stop it, say so, go on "
        .. "to the program",
      run = function(dbg, args) return self:handle(dbg, args) end },
    { name = "signals", group = "info", aliases = { "handle" },
      usage = "info signals [SIGNAL]",
      help = "what each signal the program gets does (the handle table)",
      run = function(dbg, args) return self:info(dbg, args) end },
  }
end

return Signals
