-- Looking at and changing data: print, x, set, lua.

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"

-- How print/FMT prints: {format = a print/F letter, raw = /r (no
-- libstdc++ printer)}, letters in any order; a count or size letter is
-- not for print. As gdb's decode_format, a modifier without a format
-- letter ("/r") takes the last one a modifier gave.
local function print_format(dbg, modifier)
  if not modifier then
    return {}
  end
  local letter, raws = modifier:gsub("r", "")
  if letter ~= "" and not letter:match("^[xduotacfsz]$") then
    dbg:fail('Undefined output format "%s".', letter)
  end
  if letter == "" then
    letter = dbg.last_print_format
  end
  dbg.last_print_format = letter
  return { format = letter, raw = raws > 0 }
end

-- `print[/F] EXPR`: a C expression in the selected frame; alone, the
-- last value again.
local function print_command(dbg, args, modifier)
  local how = print_format(dbg, modifier)
  local v
  if args == "" then
    v = dbg.env:history(-1)
  else
    v = dbg:evaluate(args)
  end
  dbg:record(v, how)
end

-- `call EXPR`: as print, but a void result shows nothing.
local function call_command(dbg, args, modifier)
  if args == "" then
    dbg:fail("The history is empty.")
  end
  local v = dbg:evaluate(args)
  if expr.types.strip(v.type).kind ~= "void" then
    dbg:record(v, print_format(dbg, modifier))
  end
end

-- `output[/F] EXPR`: the value alone, no history, no newline.
local function output_command(dbg, args, modifier)
  if args == "" then
    dbg:fail("Argument required (expression to compute).")
  end
  local how = print_format(dbg, modifier)
  local text = expr.format(dbg:evaluate(args), {
    format = how.format, raw = how.raw, pretty = dbg.print_pretty })
  io.stdout:write(text)
  io.stdout:flush()
end

local sizes = { b = 1, h = 2, w = 4, g = 8 }
local per_line = { [1] = 8, [2] = 8, [4] = 4, [8] = 2 }

-- `x/NFU` as gdb parses it: count, format letter, size letter in any
-- order. Without a size letter, as gdb's decode_format: an address is
-- pointer-sized, a char a byte, a float the last size if a float has it
-- (else a double); the rest the last size (at first a word). An unknown
-- letter is the format too: gdb refuses it only when it prints the first
-- unit, after the address.
local function parse_examine(dbg, modifier)
  local n = tonumber(modifier:match("%d+") or "1")
  local format, size = "x", nil
  for letter in modifier:gsub("%d+", ""):gmatch(".") do
    if sizes[letter] then
      size = sizes[letter]
    else
      format = letter
    end
  end
  local last = dbg.x_size or 4
  if not size then
    size = format == "a" and 8 or format == "c" and 1
      or format == "f" and (last >= 4 and last or 8) or last
  end
  return n, format, size
end

local float_units = { [4] = "float", [8] = "double" }

-- One unit of `bytes` as x/F shows it: hex and binary padded to the
-- unit's width, floats as print shows them.
local function unit_text(bytes, format, size)
  if format == "f" and float_units[size] then
    return expr.format({ type = expr.types.builtin[float_units[size]],
                         bytes = bytes })
  end
  local n = string.unpack("<i" .. size, bytes)
  if format == "x" then
    format = "z"
  elseif format == "t" then
    local bits = {}
    for i = 8 * size - 1, 0, -1 do
      bits[#bits + 1] = (n >> i) & 1
    end
    return table.concat(bits)
  elseif format == "f" then
    format = "d"
  end
  return expr.format_integer(n, size, true, format)
end

-- x's units as gdb types them: int8_t... int64_t.
local unit_types = {}
for size, name in pairs { [1] = "int8_t", [2] = "int16_t", [4] = "int32_t",
                          [8] = "int64_t" } do
  unit_types[size] = { kind = "int", size = size, signed = true, name = name,
                       loaded = true }
end

-- gdb's $_ (a pointer to the last unit x examined, at `last`: to a byte
-- after x/s and x/i) and $__ (that unit's contents as read now, of type
-- `float` if named; none after x/s and x/i).
local function examined(dbg, last, size, float)
  dbg.convenience._ = expr.value.of(
    expr.types.pointer(unit_types[size or 1]), last)
  dbg.convenience.__ = size and expr.value.snapshot(expr.value.at(
    float and expr.types.builtin[float] or unit_types[size], last)) or nil
end

local function examine_units(dbg, addr, n, format, size)
  local line = {}
  for i = 0, n - 1 do
    local at = addr + i * size
    if i % per_line[size] == 0 then
      if #line > 0 then
        dbg:out(table.concat(line, "\t"))
      end
      line = { report.address(at) .. ":" }
    end
    local bytes = snare.read(at, size)
    if not bytes then
      -- as gdb: the row so far on stdout, then the error
      io.stdout:write(table.concat(line, "\t"), "\t")
      io.stdout:flush()
      dbg:fail("Cannot access memory at address 0x%x", at)
    end
    line[#line + 1] = unit_text(bytes, format, size)
  end
  dbg:out(table.concat(line, "\t"))
end

-- As gdb: the first unit's address on stdout, then the error.
local function fail_at(dbg, prefix, message, ...)
  io.stdout:write(prefix, ":\t")
  io.stdout:flush()
  dbg:fail(message, ...)
end

local function examine(dbg, args, modifier)
  local n, format, size = parse_examine(dbg, modifier or "")
  if args == "" then
    dbg:fail("Argument required (starting display address).")
  end
  -- (before `run` a file address of the program is read where it is now)
  local addr = require("snare.expr.image").loaded(dbg:address(args))
  if not format:match("^[xduotacfsiz]$") then
    fail_at(dbg, report.address(addr), 'Undefined output format "%s".',
            format)
  end
  if format == "i" then
    local insns, err = report.disassemble(addr, n)
    if not insns and err:match("not mapped or not accessible$") then
      local name = report.code_name(addr)
      fail_at(dbg, string.format("   0x%x%s", addr,
                                 name and (" <" .. name .. ">") or ""),
              "Cannot access memory at address 0x%x", addr)
    elseif not insns then
      dbg:fail("%s", err)
    end
    local pc = dbg.session.stopped and dbg:register("pc") -- (selected frame's)
    for _, insn in ipairs(insns) do
      dbg:out(report.instruction(insn, pc))
    end
    examined(dbg, insns[#insns].address)
  elseif format == "s" then
    local last = addr
    for _ = 1, n do
      last = addr
      local text = snare.read_cstring(addr)
      if not text then
        -- gdb shows the string's error as its value
        -- (and stays at the address for the next)
        dbg:out(string.format("%s:\t<error: Cannot access memory at "
                              .. "address 0x%x>", report.address(addr), addr))
        goto next
      end
      dbg:out(string.format("%s:\t%s", report.address(addr),
                            expr.format_string(text)))
      addr = addr + #text + 1
      ::next::
    end
    examined(dbg, last)
  else
    dbg.x_size = size
    examine_units(dbg, addr, n, format, size)
    local last = addr + (n - 1) * size
    examined(dbg, last, size, format == "f" and float_units[size])
  end
end

-- `set disassembly-flavor att|intel`, gdb's words for a missing or
-- unknown flavor; a unique prefix will do ("set disassembly-flavor in").
local function set_disassembly_flavor(dbg, flavor)
  if flavor == "" then
    dbg:fail("Requires an argument. Valid arguments are att, intel.")
  end
  local matches = {}
  for _, name in ipairs { "att", "intel" } do
    if name:sub(1, #flavor) == flavor then
      matches[#matches + 1] = name
    end
  end
  if #matches ~= 1 then
    dbg:fail('Undefined item: "%s".', flavor)
  end
  report.disassembly_flavor = matches[1]
end

-- `set var EXPR` / `set variable EXPR` / `set EXPR` (an assignment in
-- C: `x = 3`, `p->len += 1`, `$rax = 5`, `$n = 1`), `set timeout MS`,
-- `set print pretty on|off`, `set disassembly-flavor att|intel`.
local function set(dbg, args)
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
  local flavor = args:match("^disassembly%-flavor%s*(%S*)$")
  if flavor then
    set_disassembly_flavor(dbg, flavor)
    return
  end
  local pretty = args:match("^print%s+pretty%s*(%a*)$")
  if pretty then
    if pretty ~= "" and pretty ~= "on" and pretty ~= "off" then
      dbg:fail('"on" or "off" expected.')
    end
    dbg.print_pretty = pretty ~= "off"
    return
  end
  local assignment = args:match("^var%a*%s+(.+)$")
    or not args:match("^var%a*$") and args or ""
  if assignment == "" then
    dbg:fail("Argument required (expression to compute).")
  end
  dbg:evaluate(assignment)
end

-- The type `text` names (a type name: "struct node", "counter_t *"), or
-- the type of the expression it is, and whether it was a type name.
local function type_of(dbg, text)
  if text == "" then -- gdb's: the last value's
    return dbg.env:history(-1).type, false
  end
  local t = expr.type(text, dbg.env)
  if t then
    return t, true
  end
  return dbg:evaluate(text).type, false
end

-- `whatis EXPR|TYPE`: the type's name; of a typedef's name, what it
-- stands for (one level).
local function whatis(dbg, args)
  local t, named = type_of(dbg, args)
  if named and t.kind == "typedef" then
    t = t.target
  end
  dbg:out("type = " .. expr.types.name(t))
end

-- `ptype EXPR|TYPE`: the type with typedefs resolved and a struct,
-- union or enum spelled out.
local function ptype(dbg, args)
  dbg:out("type = " .. expr.types.ptype((type_of(dbg, args))))
end

local function lua_command(dbg, args)
  local results = table.pack(scope.compile(args, dbg.scope, true)())
  for i = 1, results.n do
    dbg:out(report.value(results[i]))
  end
end

return {
  { name = "print", aliases = { "p", "inspect" }, usage = "print[/F] EXPR",
    help = "evaluate a C expression in the selected frame",
    details = "e.g. print *item, print p->name, print arr[2], print/x $rsp, "
      .. "print $1 * 2, print strlen(s); F = x d u o t a c f s z",
    run = print_command },
  { name = "call", usage = "call EXPR",
    help = "call a function of the target: call fib(6), call strlen(s)",
    run = call_command },
  { name = "output", usage = "output[/F] EXPR",
    help = "show a value without history or newline",
    run = output_command },
  { name = "whatis", usage = "whatis EXPR|TYPE",
    help = "the type of an expression, or what a typedef names",
    run = whatis },
  { name = "ptype", usage = "ptype EXPR|TYPE",
    help = "a type spelled out: members of structs, unions and enums",
    run = ptype },
  { name = "x", usage = "x/NFU ADDRESS",
    help = "examine memory: F = x d u o t a c f s i z, U = b h w g",
    run = examine },
  { name = "set", usage = "set var EXPR",
    help = "assign in C (set var x = 3, set $rax = 5; also: set timeout MS, "
      .. "set print pretty on, set debug-file-directory DIRS, "
      .. "set disassembly-flavor intel)",
    run = set },
  { name = "show", usage = "show debug-file-directory|disassembly-flavor",
    help = "show where separate debug files are looked for, or the "
      .. "disassembly flavor",
    run = function(dbg, args)
      if args == "disassembly-flavor" then
        dbg:out(string.format('The disassembly flavor is "%s".',
                              report.disassembly_flavor))
        return
      end
      if args ~= "debug-file-directory" and args ~= "" then
        dbg:fail('Undefined show command: "%s".  Try "help show".', args)
      end
      dbg:out(string.format(
        'The directory where separate debug symbols are searched for is "%s".',
        snare.debug_file_directory()))
    end },
  { name = "lua", usage = "lua CHUNK",
    help = "run Lua; globals persist; registers assignable (rdi = 5)",
    run = lua_command },
}
