--- What the `snare` subcommands share as commands of the shell: a usage
-- error's message and exit status, and words quoted for `sh -c`.
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

return shell
