-- Looking at and changing data: print, x, set, info registers, lua.

local snare = require "snare"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"

-- `print[/x] EXPR`: a Lua expression; registers, helpers and symbols in
-- scope; variables of the stopped frame when the API offers them.
local function print_command(dbg, args, modifier)
  if args == "" then
    dbg:fail("usage: print EXPR")
  end
  local hex = modifier == "x"
  if modifier and not hex then
    dbg:fail("Undefined output format \"%s\".", modifier)
  end
  local values = table.pack(scope.eval(args, dbg.scope))
  if values.n == 0 then
    dbg:fail("%s has no value", args)
  end
  dbg:record(values[1], hex)
end

local sizes = { b = 1, h = 2, w = 4, g = 8 }
local per_line = { [1] = 8, [2] = 8, [4] = 4, [8] = 2 }

-- `x/NFU` as gdb parses it: count, format letter, size letter in any order.
local function parse_examine(dbg, modifier)
  local n = tonumber(modifier:match("%d+") or "1")
  local format, size = "x", nil
  for letter in modifier:gsub("%d+", ""):gmatch(".") do
    if sizes[letter] then
      size = sizes[letter]
    elseif letter:match("[xduis]") then
      format = letter
    else
      dbg:fail('Undefined output format "%s".', letter)
    end
  end
  return n, format, size or dbg.x_size or 4
end

local function examine_integers(dbg, addr, n, format, size)
  local bytes = snare.read(addr, n * size)
  if not bytes then
    dbg:fail("Cannot access memory at address 0x%x", addr)
  end
  local unpack = (format == "d" and "i" or "I") .. size
  local shown = format == "x" and ("0x%0" .. size * 2 .. "x") or "%d"
  local line = {}
  for i = 0, n - 1 do
    local at = addr + i * size
    if i % per_line[size] == 0 then
      if #line > 0 then
        dbg:out(table.concat(line, "\t"))
      end
      line = { report.address(at) .. ":" }
    end
    local value = string.unpack("<" .. unpack, bytes, i * size + 1)
    line[#line + 1] = string.format(shown, value)
  end
  dbg:out(table.concat(line, "\t"))
end

local function examine(dbg, args, modifier)
  local n, format, size = parse_examine(dbg, modifier or "")
  if args == "" then
    dbg:fail("Argument required (starting display address).")
  end
  local addr = dbg:address(args)
  if format == "i" then
    local insns, err = snare.disassemble(addr, n)
    if not insns then
      dbg:fail("%s", err)
    end
    local pc = dbg.session.stopped and dbg.session:reg("pc")
    for _, insn in ipairs(insns) do
      dbg:out(report.instruction(insn, pc))
    end
  elseif format == "s" then
    for _ = 1, n do
      local text = snare.read_cstring(addr)
      if not text then
        dbg:fail("Cannot access memory at address 0x%x", addr)
      end
      dbg:out(string.format("%s:\t%q", report.address(addr), text))
      addr = addr + #text + 1
    end
  else
    dbg.x_size = size
    examine_integers(dbg, addr, n, format, size)
  end
end

-- `set $REG = EXPR`, `set var NAME = EXPR` (a C variable of the selected
-- frame), `set timeout MS`.
local function set(dbg, args)
  local reg, expr = args:match("^%$([%a_][%w_]*)%s*=%s*(.+)$")
  if reg then
    if not scope.registers[reg] then
      dbg:fail("Invalid register \"$%s\".", reg)
    end
    dbg:require_stopped()
    local value = scope.eval(expr, dbg.scope)
    if math.type(value) ~= "integer" then
      dbg:fail("$%s: needs an integer, got %s", reg, report.value(value))
    end
    dbg.session:set_reg(reg, value)
    return
  end
  local dirs = args:match("^debug%-file%-directory%s*(.*)$")
  if dirs then -- gdb's: empty restores the default
    snare.debug_file_directory(dirs ~= "" and dirs or nil)
    return
  end
  local ms = args:match("^timeout%s+(%d+)$")
  if ms then
    dbg.session.timeout = math.tointeger(tonumber(ms))
    return
  end
  local name, value_text = args:match("^var%a*%s+([%a_][%w_]*)%s*=%s*(.+)$")
  if name then
    local frame = dbg:selected_frame()
    if not frame then
      dbg:fail("No frame selected.")
    end
    frame:set_var(name, scope.eval(value_text, dbg.scope))
    return
  end
  dbg:fail("usage: set $REG = EXPR | set var NAME = EXPR | set timeout MS" ..
    " | set debug-file-directory DIRS")
end

-- gdb's eflags column: the set flags by name.
local flag_names = { [0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF",
                     [7] = "SF", [8] = "TF", [9] = "IF", [10] = "DF",
                     [11] = "OF" }
local function flags(value)
  local names = {}
  for bit = 0, 11 do
    if flag_names[bit] and value & (1 << bit) ~= 0 then
      names[#names + 1] = flag_names[bit]
    end
  end
  return "[ " .. table.concat(names, " ") .. " ]"
end

local function info_registers(dbg, args)
  dbg:require_stopped()
  local names = {}
  for name in args:gmatch("[^%s$]+") do
    if not scope.registers[name] then
      dbg:fail("Invalid register `%s'", name)
    end
    names[#names + 1] = name
  end
  if #names == 0 then
    names = snare.registers
  end
  for _, name in ipairs(names) do
    local value = dbg.session:reg(name)
    local natural
    if name == "rip" or name == "pc" then
      natural = report.address(value)
    elseif name == "eflags" then
      natural = flags(value)
    elseif name == "rsp" or name == "rbp" or name == "sp" then
      natural = string.format("0x%x", value)
    else
      natural = tostring(value)
    end
    dbg:out(string.format("%-15s0x%-18x%s", name, value, natural))
  end
end

local function lua_command(dbg, args)
  local results = table.pack(scope.compile(args, dbg.scope, true)())
  for i = 1, results.n do
    dbg:out(report.value(results[i]))
  end
end

return {
  { name = "print", aliases = { "p", "inspect" }, usage = "print[/x] EXPR",
    help = "evaluate a Lua expression (registers, mem, symbols in scope)",
    details = "e.g. print rdi + 1, print/x rsp, print mem.u32[rsp], " ..
      "print $1 * 2",
    run = print_command },
  { name = "x", usage = "x/NFU ADDRESS",
    help = "examine memory: F = x d u s i, U = b h w g",
    run = examine },
  { name = "set", usage = "set $REG = EXPR",
    help = "set a register (also: set var NAME = EXPR, set timeout MS, " ..
      "set debug-file-directory DIRS)",
    run = set },
  { name = "show", usage = "show debug-file-directory",
    help = "show where separate debug files are looked for",
    run = function(dbg, args)
      if args ~= "debug-file-directory" then
        dbg:fail("usage: show debug-file-directory")
      end
      dbg:out(string.format(
        'The directory where separate debug symbols are searched for is "%s".',
        snare.debug_file_directory()))
    end },
  { name = "registers", group = "info", aliases = { "r", "reg" },
    usage = "info registers [NAME...]", help = "show registers",
    run = info_registers },
  { name = "lua", usage = "lua CHUNK",
    help = "run Lua; globals persist; registers assignable (rdi = 5)",
    run = lua_command },
}
