-- The prompt's own commands: help, info (a prefix for the `info` group),
-- echo, quit.

local function help(dbg, args)
  local list = dbg.commands.list
  if args == "" then
    dbg:out("Commands (abbreviations as gdb: b, c, si, p, bt, ...):")
    for _, command in ipairs(list) do
      local name = command.group and (command.group .. " " .. command.name)
        or command.name
      dbg:out(string.format("  %-28s %s", command.usage or name, command.help))
    end
    dbg:out('Type "help COMMAND" for more.')
    return
  end
  local word, rest = args:match("^(%S+)%s*(.*)$")
  local command, message = dbg.commands:find(word)
  if command and command.name == "info" and rest ~= "" then
    command, message = dbg.commands:find(rest:match("^%S+"), "info")
  end
  if not command then
    dbg:fail("%s", message)
  end
  dbg:out(string.format("%s -- %s", command.usage or command.name,
                        command.help))
  if command.aliases then
    dbg:out("Aliases: " .. table.concat(command.aliases, ", "))
  end
  if command.details then
    dbg:out(command.details)
  end
end

local function info(dbg, args)
  local word, rest = args:match("^(%S+)%s*(.*)$")
  if not word then
    dbg:fail('"info" must be followed by the name of an info command.')
  end
  local command, message = dbg.commands:find(word, "info")
  if not command then
    dbg:fail("%s", message)
  end
  return command.run(dbg, rest)
end

-- gdb's echo: the text with C's escapes, no newline of its own.
local escapes = { n = "\n", t = "\t", ["\\"] = "\\", ['"'] = '"',
                  a = "\a", r = "\r" }
local function echo(_, args)
  io.stdout:write((args:gsub("\\(.)", function(c)
    return escapes[c] or c
  end)))
  io.stdout:flush()
end

return {
  { name = "echo", usage = "echo TEXT",
    help = "print TEXT (\\n for a newline, as in C)", run = echo },
  { name = "help", aliases = { "h" }, usage = "help [COMMAND]",
    help = "list commands, or describe one", run = help },
  { name = "info", aliases = { "i" }, usage = "info WHAT",
    help = "information: info breakpoints, info registers", run = info },
  { name = "quit", aliases = { "q" }, usage = "quit",
    help = "leave (aborts a call in progress)",
    run = function() return "quit" end },
}
