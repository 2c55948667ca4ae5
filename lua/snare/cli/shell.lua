--- What the `snare` subcommands share as commands of the shell: a usage
-- error's message and exit status, words quoted for `sh -c`, a command
-- line run for its status, and the first of several places where a file
-- may be.
-- @module snare.cli.shell
local shell = {}

--- Writes "snare: MESSAGE" to stderr; returns the exit status 2 of a
-- usage error.
function shell.fail(message)
  io.stderr:write("snare: ", message, "\n")
  return 2
end

--- `s` as one word for sh, whatever it holds.
function shell.quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- Runs the command line `words` (a list of words quoted for sh) once
-- snare's stdout is flushed; returns its exit status as the shell says
-- it (128 + N for a death by signal N).
function shell.run(words)
  io.stdout:flush()
  local _, how, status = os.execute(table.concat(words, " "))
  return how == "signal" and 128 + status or status
end

--- The first of `paths` that can be opened, or nil.
function shell.first_file(paths)
  for _, path in ipairs(paths) do
    local f = io.open(path)
    if f then
      f:close()
      return path
    end
  end
  return nil
end

--- True when `path` is a regular file one may execute (a program, or a
-- shared object marked executable: callers tell those apart by name).
function shell.is_executable(path)
  return os.execute("test -f " .. shell.quote(path) .. " -a -x "
                    .. shell.quote(path)) == true
end

return shell
