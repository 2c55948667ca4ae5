--- gdb's quotes in a location (a linespec): `break 'scale'`,
-- `break 'file.c':20`, `list 'file.c':'func'`, `info line 'printf@plt'`
-- name what they would unquoted; a quote left open is gdb's error. An
-- address location (`*EXPR`) is the expression's: its quotes are C's.
-- @module snare.cli.linespec_quotes

local M = {}

--- `text` without gdb's quotes around its parts; nil and gdb's message
-- when a quote is not closed.
function M.unquoted(text)
  if text:match("^%s*%*") or not text:find("'", 1, true) then
    return text
  end
  local out = text:gsub("'([^']*)'", "%1")
  if out:find("'", 1, true) then
    return nil, "unmatched quote"
  end
  return out
end

--- As M.unquoted, raising gdb's message at the prompt `dbg`.
function M.location(dbg, text)
  local out, why = M.unquoted(text)
  if not out then
    dbg:fail(why)
  end
  return out
end

return M
