-- regexp.lua - the regular expressions gdb users type (rbreak, info
-- sharedlibrary REGEX, info args and info locals NAMEREGEXP and -t
-- TYPEREGEXP): POSIX basic regexps as gdb compiles them (snare.core's
-- regex: `\|` alternatives, `\(...\)` groups, `\{m,n\}` counts, classes).
local core = require "snare.core"

local M = {}

--- A matcher of `regex` (`:find(text)` says whether text matches);
-- fails with gdb's "Invalid regexp: ..." when it does not compile.
function M.compile(dbg, regex)
  local re, message = core.regex(regex)
  if not re then
    dbg:fail("Invalid regexp: %s", message)
  end
  return re
end

return M
