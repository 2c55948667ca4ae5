-- regexp.lua - the basic regular expressions gdb users type (^ $ . * + ?
-- [...] and backslash escapes) as Lua patterns (rbreak, info
-- sharedlibrary REGEX, info locals NAMEREGEXP).
local M = {}

--- `regex` as a Lua pattern; `command` names the command in the error
-- for what a Lua pattern cannot say (alternatives, groups, counts).
function M.pattern(dbg, regex, command)
  local out, i = {}, 1
  while i <= #regex do
    local c = regex:sub(i, i)
    if c == "\\" then
      i = i + 1
      out[#out + 1] = "%" .. regex:sub(i, i)
    elseif c == "[" then
      local close = regex:find("]", i + 2, true)
      if not close then
        dbg:fail("Invalid regexp: unmatched [ in %s", regex)
      end
      out[#out + 1] = regex:sub(i, close):gsub("%%", "%%%%")
      i = close
    elseif c:match("[()|{}]") then
      dbg:fail("%s: %s in a regexp is not supported", command, c)
    elseif c == "%" or c == "-" then
      out[#out + 1] = "%" .. c
    else
      out[#out + 1] = c
    end
    i = i + 1
  end
  return table.concat(out)
end

return M
