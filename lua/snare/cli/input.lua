--- Where the prompt's commands come from: readline (line editing and
-- history, Debian's lua-readline) when stdin is a terminal and the module
-- is installed, else plain lines from stdin, printing the prompt only on a
-- terminal so that piped output holds nothing but command output.
-- @module snare.cli.input

local input = {}

local function stdin_is_terminal()
  local ok, unistd = pcall(require, "posix.unistd")
  if ok and unistd.isatty then
    return unistd.isatty(0) == 1
  end
  return os.execute("test -t 0") == true
end

--- Opens the command source. `opts.prompt` is shown on terminals;
-- `opts.history` is the history file; `opts.complete(text, from, to)`
-- (readline's completer: the candidates for text:sub(from, to)), else
-- `opts.words`, gives tab completion. Returns an object with `.read([prompt])` (a line, or nil at
-- end of input) and `.close()` (saves the history).
function input.open(opts)
  local source = { interactive = stdin_is_terminal() }
  local readline
  if source.interactive and os.getenv("SNARE_NO_READLINE") == nil then
    local ok, module = pcall(require, "readline")
    readline = ok and module or nil
  end
  if readline then
    readline.set_options { histfile = opts.history, keeplines = 1000,
                           completion = true }
    if opts.complete then
      readline.set_complete_function(opts.complete)
    else
      readline.set_complete_list(opts.words)
    end
    function source.read(prompt)
      return readline.readline(prompt or opts.prompt)
    end
    function source.close()
      readline.save_history()
    end
  else
    function source.read(prompt)
      if source.interactive then
        io.stdout:write(prompt or opts.prompt)
        io.stdout:flush()
      end
      return io.stdin:read("l")
    end
    function source.close() end
  end
  return source
end

--- The command lines of the prompt on a program (snare debug -- PROG):
-- those of `queue` (a list) from `state.next` on, counted there (the next
-- process goes on from it), then, unless `batch`, the terminal's (an
-- input source opened at the first, with `complete` as opts.complete).
-- Returns read() (a line, or nil at the end) and close().
function input.queue_then_terminal(queue, state, batch, complete)
  local source
  local function read()
    if state.next <= #queue then
      state.next = state.next + 1
      return queue[state.next - 1]
    end
    if batch then
      return nil
    end
    source = source or input.open {
      prompt = "(snare) ",
      history = os.getenv("SNARE_HISTORY") or "~/.snare_history",
      complete = complete,
    }
    return source.read()
  end
  local function close()
    if source then
      source.close()
    end
  end
  return read, close
end

return input
