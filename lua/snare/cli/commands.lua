--- The prompt's command table, gathered from the modules in
-- lua/snare/cli/commands/. Each module returns a list of commands:
--
--    { name = "stepi", aliases = {"si"}, group = nil,   -- or "info"
--      usage = "stepi [N]", help = "one line", repeats = true,
--      run = function(dbg, args, modifier) ... end }
--
-- `args` is the text after the command word (trimmed), `modifier` what
-- followed a "/" right after the word (`x/4x` gives "4x"). Commands in
-- group "info" are reached through `info NAME`. `repeats`: an empty line
-- runs the command again (stepping commands). Names are found as gdb
-- finds them: an exact name or alias, else a unique prefix.
-- @module snare.cli.commands

local commands = {}

local modules = { "general", "breakpoints", "breakpoint_settings",
                  "running", "data", "frame_values", "disassemble", "stack",
                  "source", "files", "watchpoints", "frame_info",
                  "symbol_info", "file_symbols" }

--- Loads every command module. Returns the table with `list` (in
-- module order) and `find`.
function commands.load()
  local list = {}
  for _, module in ipairs(modules) do
    for _, command in ipairs(require("snare.cli.commands." .. module)) do
      list[#list + 1] = command
    end
  end
  return setmetatable({ list = list }, { __index = commands })
end

--- The command `word` names in `group` (nil: top level), or nil and the
-- message to show.
function commands:find(word, group)
  local matches = {}
  for _, command in ipairs(self.list) do
    if command.group == group then
      if command.name == word then
        return command
      end
      for _, alias in ipairs(command.aliases or {}) do
        if alias == word then
          return command
        end
      end
      if command.name:sub(1, #word) == word then
        matches[#matches + 1] = command
      end
    end
  end
  if #matches == 1 then
    return matches[1]
  end
  local prefix = group and (group .. " ") or ""
  if #matches == 0 then
    return nil, string.format('Undefined %scommand: "%s".  Try "help%s".',
                              prefix, word, group and (" " .. group) or "")
  end
  local names = {}
  for i, command in ipairs(matches) do
    names[i] = command.name
  end
  table.sort(names)
  return nil, string.format('Ambiguous %scommand "%s": %s.', prefix, word,
                            table.concat(names, ", "))
end

--- Names of every command, for completion.
function commands:words()
  local words = {}
  for _, command in ipairs(self.list) do
    if not command.group then
      words[#words + 1] = command.name
    end
  end
  return words
end

--- Splits a command line into its word, the "/" modifier and the rest.
function commands.split(line)
  local word, rest = line:match("^%s*([%a_][%w_%-]*)(.*)$")
  if not word then
    return nil
  end
  local modifier = rest:match("^/(%S*)")
  if modifier then
    rest = rest:sub(#modifier + 2)
  end
  return word, modifier, rest:match("^%s*(.-)%s*$")
end

return commands
