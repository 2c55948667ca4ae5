--- Tab completion at the prompt: command names for the first word,
-- `info` subcommands after `info`, file names after `file` and `load`,
-- else the functions of the loaded libraries and the variables of the
-- selected frame.
-- @module snare.cli.complete

local complete = {}

local function starting(list, prefix, out)
  for _, word in ipairs(list) do
    if word:sub(1, #prefix) == prefix then
      out[#out + 1] = word
    end
  end
  table.sort(out)
  return out
end

local function command_names(dbg, group)
  local names = {}
  for _, command in ipairs(dbg.commands.list) do
    if command.group == group then
      names[#names + 1] = command.name
    end
  end
  return names
end

-- Files in the directory of prefix that start with its last part.
local function files(prefix)
  local ok, lfs = pcall(require, "lfs")
  if not ok then
    return {}
  end
  local dir, base = prefix:match("^(.*/)([^/]*)$")
  dir, base = dir or "", base or prefix
  local out = {}
  local good, iter, state = pcall(lfs.dir, dir == "" and "." or dir)
  if not good then
    return out
  end
  for name in iter, state do
    if name:sub(1, #base) == base and name ~= "." and name ~= ".." then
      local path = dir .. name
      local mode = lfs.attributes(path, "mode")
      out[#out + 1] = mode == "directory" and path .. "/" or path
    end
  end
  table.sort(out)
  return out
end

local function symbols(dbg)
  local names, seen = {}, {}
  local function add(name)
    if not seen[name] then
      seen[name] = true
      names[#names + 1] = name
    end
  end
  for _, lib in ipairs(dbg.libraries) do
    for _, fn in ipairs(lib:functions()) do
      if not fn.name:match("^sub_%x+$") then
        add(fn.name)
      end
    end
  end
  local frame = dbg:selected_frame()
  local ok, vars = pcall(function() return frame and frame:vars() end)
  for name in pairs(ok and vars or {}) do
    add(name)
  end
  table.sort(names)
  return names
end

--- The completions of `word`, the last word of `line` (everything typed).
function complete.candidates(dbg, line, word)
  local words = {}
  for w in line:gmatch("%S+") do
    words[#words + 1] = w
  end
  local before = #words - (word ~= "" and 1 or 0)
  if before == 0 then
    return starting(command_names(dbg), word, {})
  end
  local first = dbg.commands:find(words[1])
  local name = first and first.name
  if name == "info" and before == 1 then
    return starting(command_names(dbg, "info"), word, {})
  elseif name == "file" or name == "load" then
    return files(word)
  end
  return starting(symbols(dbg), word:match("[%w_]*$"), {})
end

--- readline's completer over dbg: (text, from, to) -> candidates.
function complete.function_for(dbg)
  return function(text, from, to)
    return complete.candidates(dbg, text:sub(1, to), text:sub(from, to))
  end
end

return complete
