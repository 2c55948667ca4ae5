--- Forms that join the prompt's `set` and `show` (the prompt on a
-- program adds its own: scheduler-locking, disable-randomization): each
-- takes the arguments it recognises, the others go on to the forms
-- there were before. And gdb's reading of a boolean setting's word.
-- @module snare.cli.setting_forms

local M = {}

local function command(dbg, name)
  for _, c in ipairs(dbg.commands.list) do
    if c.name == name then
      return c
    end
  end
end

--- Adds a form to `dbg`'s command `name` ("set" or "show"): `run(d,
-- operand)` for the arguments that match `pattern` (its capture is the
-- operand), the earlier forms for the rest.
function M.add(dbg, name, pattern, run)
  local c = command(dbg, name)
  local earlier = c.run
  c.run = function(d, args, ...)
    local operand = args:match(pattern)
    if operand == nil then
      return earlier(d, args, ...)
    end
    return run(d, operand)
  end
end

-- gdb's words for a boolean, each also taken by its prefixes: "on" and
-- "off" need two letters ("o" is both).
local words = { { "1", "yes", "enable" }, { "0", "no", "disable" } }

local function prefix_of(word, full)
  return word ~= "" and full:sub(1, #word) == word
end

--- A boolean setting's value as gdb reads `word`: true, false, or nil
-- when it is none of gdb's words (empty is on, as in gdb).
function M.boolean(word)
  if word == "" or word == "on" then
    return true
  elseif #word >= 2 and prefix_of(word, "off") then
    return false
  end
  for i, value in ipairs { true, false } do
    for _, full in ipairs(words[i]) do
      if prefix_of(word, full) then
        return value
      end
    end
  end
  return nil
end

return M
