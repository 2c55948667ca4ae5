--- Compiles a parsed C expression into a Lua closure over an
-- environment: the tree is walked once; running the closure only reads
-- the target (variables are located afresh each run, since each
-- breakpoint hit has its own frame).
--
-- The environment (see snare.expr.env) answers `variable(name)` (a
-- local or parameter of the frame in view, as a value, or nil),
-- `global(name)`, `enumerator(name)`, `symbol(name)` (address of a
-- function or data symbol), `function_type(addr)`, `type(name)`,
-- `register(name)`, `set_register(name, n)`, `history(i)` (i: from 1;
-- negative from the end), `convenience(name)`, `set_convenience(name,
-- v)`, `call(addr, args, ret_type)`, `set_variable(name, n)`.
-- @module snare.expr.eval

local snare = require "snare"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local vector = require "snare.expr.vector"
local format = require "snare.expr.format"
local abi = require "snare.expr.abi"
local image = require "snare.expr.image"
local cxx_object = require "snare.expr.cxx_object"
local scoped = require "snare.expr.scoped"

local eval = {}

local builtin = types.builtin
local strip, pointer = types.strip, types.pointer

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

local void_value = { type = types.void, bytes = "" }

-- A string literal where an address is needed: its bytes copied to the
-- target's memory (once per evaluation), where it is from then on.
local function placed(v)
  if not v.address and v.copy_to_target then
    v.address = v.copy_to_target(value.bytes(v))
  end
  return v
end

-- Arrays in memory become pointers to their first element, functions
-- pointers to themselves (C's decay); a literal goes to memory first.
local function decay(v)
  local t = strip(v.type)
  if t.kind == "array" then
    placed(v)
  end
  if t.kind == "array" and v.address then
    return value.of(pointer(t.target), v.address)
  elseif t.kind == "function" then
    return value.of(pointer(v.type), v.address)
  end
  return v
end

local function number(v)
  return value.number(decay(v))
end

local function is_pointer(v)
  local k = strip(v.type).kind
  return k == "pointer"
    or (k == "array" and (v.address ~= nil or v.copy_to_target ~= nil))
    or k == "function"
end

-- C's integer promotions: what an integer operand becomes.
local function promote(t, v)
  t = strip(t)
  if t.kind == "float" then
    return t
  end
  if v and v.bitfield then
    return builtin.int
  end
  local size, signed = t.size or 4, types.is_signed(t)
  if size < 4 or t.kind == "bool" then
    return builtin.int
  end
  if size == 4 then
    return signed and builtin.int or builtin["unsigned int"]
  end
  return signed and builtin.long or builtin["unsigned long"]
end

-- The usual arithmetic conversions of two types' operands.
local function common_of(a, b)
  local ta, tb = promote(a.type, a), promote(b.type, b)
  if ta.kind == "float" or tb.kind == "float" then
    if ta.kind == "float" and tb.kind == "float" then
      return ta.size >= tb.size and ta or tb
    end
    return ta.kind == "float" and ta or tb
  end
  if ta == tb then
    return ta
  end
  if ta.size ~= tb.size then
    return ta.size > tb.size and ta or tb
  end
  return ta.signed and tb or ta
end

-- common_of remembered per pair of types (a condition compares the same
-- types at every hit); bitfields promote by their width, not their type.
local commons = setmetatable({}, { __mode = "k" })
local function common(a, b)
  if a.bitfield or b.bitfield then
    return common_of(a, b)
  end
  local row = commons[a.type]
  if not row then
    row = setmetatable({}, { __mode = "k" })
    commons[a.type] = row
  end
  local t = row[b.type]
  if not t then
    t = common_of(a, b)
    row[b.type] = t
  end
  return t
end

local function truth(v)
  local t = strip(v.type)
  if t.kind == "struct" or t.kind == "union" or
     (t.kind == "array" and not v.address) then
    fail("Attempt to use a type name as an expression")
  end
  return number(v) ~= 0
end

-- Results of comparisons and logical operators: read-only, so shared.
local int_true, int_false = value.of(builtin.int, 1), value.of(builtin.int, 0)
local function int_result(b)
  return b and int_true or int_false
end

-- C++'s: its comparisons and logical operators give a bool, as its
-- literals true and false are (C's give an int).
local bool = { kind = "bool", size = 1, name = "bool", loaded = true }
local bool_true, bool_false = value.of(bool, 1), value.of(bool, 0)

-- f (a compiled comparison or logical operator) in env's language: its
-- int result as a bool in C++.
local function in_language(env, f)
  if not env:cplus() then
    return f
  end
  return function() return f() == int_true and bool_true or bool_false end
end
local comparisons = { ["=="] = true, ["!="] = true, ["<"] = true,
                      [">"] = true, ["<="] = true, [">="] = true }

-- C's truncating division and remainder, signed or unsigned 64-bit.
local function divide(a, b, signed, want_rem)
  if b == 0 then
    fail("Division by zero")
  end
  local q
  if signed then
    if a == math.mininteger and b == -1 then
      q = a
    else
      q = a // b
      if q < 0 and q * b ~= a then
        q = q + 1
      end
    end
  elseif b < 0 then -- divisor of 2^63 or more
    q = math.ult(a, b) and 0 or 1
  else
    q = ((a >> 1) // b) << 1
    if not math.ult(a - q * b, b) then
      q = q + 1
    end
  end
  if want_rem then
    return a - q * b
  end
  return q
end

local function less(a, b, signed)
  if signed then
    return a < b
  end
  return math.ult(a, b)
end

local arith = {
  ["+"] = function(a, b) return a + b end,
  ["-"] = function(a, b) return a - b end,
  ["*"] = function(a, b) return a * b end,
  ["&"] = function(a, b) return a & b end,
  ["|"] = function(a, b) return a | b end,
  ["^"] = function(a, b) return a ~ b end,
}

local function element_size(t)
  local target = strip(t.target)
  if target.kind == "void" or target.kind == "function" then
    return 1
  end
  local size = target.size or 0
  if size == 0 then
    fail("Cannot perform pointer math on incomplete type \"%s\", try "
         .. "casting to a known type, or void *.", types.name(t.target))
  end
  return size
end

-- Whether values of type t compare as arithmetic scalars with no decay:
-- remembered per type (a condition compares the same types every hit).
local plain_scalars = setmetatable({}, { __mode = "k" })
local function plain_scalar(t)
  local known = plain_scalars[t]
  if known == nil then
    local kind = strip(t).kind
    known = kind == "int" or kind == "float" or kind == "bool"
      or kind == "enum"
    plain_scalars[t] = known
  end
  return known
end

local function compare(operator, a, b)
  local x, y, signed
  local plain = plain_scalar(a.type) and plain_scalar(b.type)
  if not plain and (is_pointer(a) or is_pointer(b)) then
    x, y, signed = number(a), number(b), false
  else
    local t = common(a, b)
    local read = plain and value.number or number -- nothing to decay
    x, y = read(a), read(b)
    if t.kind == "float" then
      x, y, signed = x + 0.0, y + 0.0, true
    else
      x, y = value.wrap(x, t.size, t.signed), value.wrap(y, t.size, t.signed)
      signed = t.signed
    end
  end
  if operator == "==" then return int_result(x == y)
  elseif operator == "!=" then return int_result(x ~= y)
  elseif operator == "<" then return int_result(less(x, y, signed))
  elseif operator == ">" then return int_result(less(y, x, signed))
  elseif operator == "<=" then return int_result(not less(y, x, signed))
  else return int_result(not less(x, y, signed)) end
end

local function require_integer(v, operator)
  if not types.is_integer(v.type) then
    fail("Integer only operation %s.", operator)
  end
end

-- Whether a and b are both booleans: gdb promotes neither, and of its
-- operators takes only ==, != and the bitwise ones.
local function booleans(a, b)
  return strip(a.type).kind == "bool" and strip(b.type).kind == "bool"
end

local function binary(operator, a, b)
  if operator == "==" or operator == "!=" or operator == "<" or
     operator == ">" or operator == "<=" or operator == ">=" then
    if operator == "==" or operator == "!=" or not booleans(a, b) then
      return compare(operator, a, b)
    end
    fail("Invalid operation on booleans.")
  end
  if operator == "@" then
    if not a.address then
      fail("Only values in memory can be extended with '@'.")
    end
    local n = number(b)
    if n <= 0 then
      fail("Invalid number %d of repetitions.", n)
    end
    return value.at(types.array(a.type, n), a.address)
  end
  local pa, pb = is_pointer(a), is_pointer(b)
  if (operator == "+" or operator == "-") and (pa or pb) then
    if pa and pb then
      if operator == "+" then
        -- (gdb 13's words)
        fail("Argument to arithmetic operation not a number or boolean.")
      end
      local da, db = decay(a), decay(b)
      return value.of(builtin.long,
                      (number(da) - number(db)) // element_size(strip(da.type)))
    end
    local p, i = a, b
    if pb then
      if operator == "-" then
        fail("Argument to arithmetic operation not a number or boolean.")
      end
      p, i = b, a
    end
    require_integer(i, operator)
    local dp = decay(p)
    local step = number(i) * element_size(strip(dp.type))
    return value.of(dp.type, operator == "+" and number(dp) + step
                              or number(dp) - step)
  end
  if not types.is_arithmetic(a.type) or not types.is_arithmetic(b.type) then
    fail("Argument to arithmetic operation not a number or boolean.")
  end
  if booleans(a, b) then -- (a bitwise operator keeps the first's type)
    local bitwise = operator == "&" and number(a) & number(b)
      or operator == "|" and number(a) | number(b)
      or operator == "^" and number(a) ~ number(b)
    if not bitwise then
      fail("Invalid operation on booleans.")
    end
    return value.of(a.type, bitwise)
  end
  if operator == "<<" or operator == ">>" then
    require_integer(a, operator)
    require_integer(b, operator)
    local t = promote(a.type, a)
    local x, n = value.wrap(number(a), t.size, t.signed), number(b)
    local bits = t.size * 8
    if n >= bits or n < 0 then
      return value.of(t, 0)
    end
    if operator == "<<" then
      return value.of(t, x << n)
    end
    return value.of(t, t.signed and x // (1 << n) or
                       value.wrap(x, t.size, false) >> n)
  end
  local t = common(a, b)
  local x, y = number(a), number(b)
  if t.kind == "float" then
    x, y = x + 0.0, y + 0.0
    local r
    if operator == "/" then
      r = x / y
    elseif operator == "%" or arith[operator] == nil or
           operator == "&" or operator == "|" or operator == "^" then
      fail("Integer only operation %s.", operator)
    else
      r = arith[operator](x, y)
    end
    return value.of(t, r)
  end
  x, y = value.wrap(x, t.size, t.signed), value.wrap(y, t.size, t.signed)
  if operator == "/" or operator == "%" then
    if t.size < 8 and not t.signed then -- 32-bit unsigned: exact in 64
      x, y = value.wrap(x, t.size, false), value.wrap(y, t.size, false)
      return value.of(t, divide(x, y, true, operator == "%"))
    end
    return value.of(t, divide(x, y, t.signed, operator == "%"))
  end
  return value.of(t, arith[operator](x, y))
end

-- (t) v, as C converts.
local function cast(v, t)
  local to = strip(t)
  local from = strip(v.type)
  if to.kind == "void" then
    return { type = t, bytes = "" }
  end
  if v.nodebug then -- a symbol without debug info: its memory is a t
    return value.at(t, v.address)
  end
  if to.kind == "struct" or to.kind == "union" or to.kind == "array" then
    if from == to then
      return v
    end
    fail("Invalid cast.")
  end
  if from.kind == "struct" or from.kind == "union" or from.kind == "void" then
    fail("Invalid cast.")
  end
  if to.kind == "float" or from.kind == "float" then
    return value.of(t, number(v))
  end
  if to.kind ~= "pointer" and (from.kind == "pointer" or from.kind == "array"
                               or from.kind == "function") then
    return value.of(t, image.shown(number(v))) -- (before `run`, gdb's)
  end
  return value.of(t, number(v))
end

local find_member = cxx_object.find_member

local function member(v, name, arrow)
  local t = strip(v.type)
  if t.kind == "pointer" or (arrow and t.kind == "array") then
    local p = decay(v)
    v = value.at(strip(p.type).target, number(p))
    t = strip(v.type)
  end
  if t.kind ~= "struct" and t.kind ~= "union" then -- gdb 13's words
    fail("Attempt to extract a component of a value that is not a structure%s.",
         arrow and " pointer" or "")
  end
  local m, offset = find_member(t, name, 0)
  if not m then
    fail("There is no member named %s.", name)
  end
  local out
  if v.address then
    out = value.at(m.type, v.address + offset)
  else
    local size = strip(m.type).size or 0
    if m.bit_size then
      size = (m.bit_offset + m.bit_size + 7) // 8
    end
    out = { type = m.type, bytes = value.bytes(v):sub(offset + 1,
                                                      offset + size) }
  end
  if m.bit_size then
    out.bitfield = { offset = m.bit_offset, size = m.bit_size }
  end
  return out
end

local function deref(v)
  if v.synthetic then -- an implicit pointer: what it points to
    return v.synthetic
  end
  local t = strip(v.type)
  if t.kind == "array" and not v.address then
    local elem = t.target
    local size = strip(elem).size or 0
    return { type = elem, bytes = value.bytes(v):sub(1, size) }
  end
  if t.kind == "function" then
    return v
  end
  v = decay(v)
  t = strip(v.type)
  if t.kind ~= "pointer" then
    if types.is_integer(t) then
      return value.at(builtin.long, number(v))
    end
    fail("Attempt to take contents of a non-pointer value.")
  end
  local target = strip(t.target)
  if target.kind == "void" then
    fail("Attempt to take contents of a non-pointer value.")
  end
  local out = value.at(t.target, number(v))
  if target.kind == "function" then
    out.address = number(v)
  end
  return out
end

local function index(v, i)
  local t = strip(v.type)
  if not is_pointer(v) and is_pointer(i) then
    v, i = i, v
    t = strip(v.type)
  end
  if t.kind == "array" and not v.address then
    local elem = t.target
    local size = strip(elem).size or 0
    local n = number(i)
    if n < 0 or n >= (t.count or 0) then
      fail("no such vector element")
    end
    return { type = elem, bytes = value.bytes(v):sub(n * size + 1,
                                                     (n + 1) * size) }
  end
  if t.kind ~= "array" and t.kind ~= "pointer" then
    fail("cannot subscript something of type `%s'", types.name(v.type))
  end
  require_integer(i, "[]")
  local p = decay(v)
  local pt = strip(p.type)
  return value.at(pt.target, number(p) + number(i) * element_size(pt))
end

local function address_of(v)
  local t = strip(v.type)
  if t.kind == "function" then
    return value.of(pointer(v.type), v.address)
  end
  if v.bitfield then
    fail("Attempt to take address of value not located in memory.")
  end
  if v.constant then -- a static const member its class's DWARF gives
    fail('Can\'t take address of "%s" which isn\'t an lvalue.', v.constant)
  end
  placed(v)
  if not v.address then
    fail("Attempt to take address of value not located in memory.")
  end
  return value.of(pointer(v.type), v.address)
end

-- Stores n into lvalue target; returns the stored value.
local function assign(env, target, v)
  local t = strip(target.type)
  if target.convenience then
    local copy = value.snapshot(v)
    env:set_convenience(target.convenience, copy)
    return copy
  end
  local new
  if t.kind == "struct" or t.kind == "union" or t.kind == "array" then
    if strip(v.type) ~= t then
      fail("Invalid cast.")
    end
    new = v
  else
    new = cast(v, target.type)
  end
  local bytes = value.bytes(new)
  if target.register then
    env:set_register(target.register, value.number(new))
  elseif target.bitfield then
    local bf = target.bitfield
    local n = (bf.offset + bf.size + 7) // 8
    local old = value.bytes({ type = target.type, address = target.address,
                              bitfield = bf })
    local word = string.unpack("<I8", old .. string.rep("\0", 8 - n))
    local mask = ((1 << bf.size) - 1) << bf.offset
    word = (word & ~mask) | ((value.number(new) << bf.offset) & mask)
    if not snare.write(target.address, string.pack("<I8", word):sub(1, n)) then
      value.no_memory(target.address)
    end
  elseif target.address then
    if not snare.write(target.address, bytes) then
      value.no_memory(target.address)
    end
  elseif target.variable then
    env:set_variable(target.variable, value.number(new))
  else
    fail("Left operand of assignment is not an lvalue.")
  end
  local out = { type = target.type, address = target.address,
                register = target.register, variable = target.variable,
                bitfield = target.bitfield }
  if not target.address then
    out.bytes = value.bytes(new)
  end
  return out
end

local registers = {}
for _, name in ipairs(snare.registers) do
  registers[name] = builtin.long
end
local code_pointer = pointer(types.func(types.void, nil))
local data_pointer = pointer(types.void)
registers.rip, registers.pc = code_pointer, code_pointer
registers.rsp, registers.sp = data_pointer, data_pointer
registers.rbp, registers.fp = data_pointer, data_pointer
local eflags = { kind = "int", size = 4, signed = true, name = "i386_eflags",
                 flags = true, loaded = true }
registers.eflags = eflags
-- The registers beyond the general ones (frame:registers() has them), by
-- gdb's types: segment selectors int32_t, the x87 control registers int,
-- mxcsr its flags, k0..k7 uint64_t, pkru uint32_t.
local int32 = { kind = "int", size = 4, signed = true, name = "int32_t",
                loaded = true }
for _, name in ipairs { "cs", "ss", "ds", "es", "fs", "gs" } do
  registers[name] = int32
end
registers.fs_base, registers.gs_base = builtin.long, builtin.long
for _, name in ipairs { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg",
                        "fooff", "fop" } do
  registers[name] = builtin.int
end
registers.mxcsr = { kind = "int", size = 4, signed = true, name = "i386_mxcsr",
                    flags = true, flag_names = format.mxcsr_names,
                    loaded = true }
local uint64 = { kind = "int", size = 8, signed = false, name = "uint64_t",
                 loaded = true }
for k = 0, 7 do
  registers["k" .. k] = uint64
end
registers.pkru = { kind = "int", size = 4, signed = false, name = "uint32_t",
                   loaded = true }
-- gdb's amd64 pseudo registers, parts of the general ones: name ->
-- { register, its bytes from, bytes, type } (eax, ax, al, ah; esi, si,
-- sil; r8d, r8w, r8l). No 16-bit sp: $sp is the stack pointer.
local int_types = { [1] = "int8_t", [2] = "int16_t", [4] = "int32_t" }
local parts = {}
local function part(name, full, from, size)
  parts[name] = { full, from, size, { kind = "int", size = size,
                  signed = true, name = int_types[size], loaded = true } }
end
for _, letter in ipairs { "a", "b", "c", "d" } do
  local full = "r" .. letter .. "x"
  part("e" .. letter .. "x", full, 0, 4)
  part(letter .. "x", full, 0, 2)
  part(letter .. "l", full, 0, 1)
  part(letter .. "h", full, 1, 1)
end
for _, pair in ipairs { "si", "di", "bp", "sp" } do
  local full = "r" .. pair
  part("e" .. pair, full, 0, 4)
  if pair ~= "sp" then
    part(pair, full, 0, 2)
  end
  part(pair .. "l", full, 0, 1)
end
for i = 8, 15 do
  local full = "r" .. i
  part(full .. "d", full, 0, 4)
  part(full .. "w", full, 0, 2)
  part(full .. "l", full, 0, 1)
end
-- st0..st7: 80-bit x87 values, read as bytes
local i387_ext = { kind = "float", size = 10, x87 = true,
                   name = "builtin_type_i387_ext", loaded = true }
-- $fp is the frame base, not rbp: the environment reads it (Env:register)
local aliases = { pc = "rip", sp = "rsp" }
eval.register_types = registers

local function dollar(env, name)
  if name == "" then
    return env:history(-1)
  elseif name == "$" then
    return env:history(-2)
  elseif name:match("^%$%d+$") then
    return env:history(-1 - tonumber(name:sub(2)))
  elseif name:match("^%d+$") then
    return env:history(tonumber(name))
  end
  local xmm = math.tointeger(tonumber(name:match("^xmm(%d%d?)$")))
  if xmm and xmm <= 15 then
    return vector.value(env:vector_register(xmm), name)
  end
  if name:match("^st[0-7]$") or name:match("^[yz]mm%d%d?$") then
    local bytes = env:register(name)
    if type(bytes) == "string" then
      if name:match("^st") then
        return { type = i387_ext, bytes = bytes, register = name }
      end
      return vector.value(bytes, name)
    end
  end
  local t = registers[name]
  local n = t and env:register(aliases[name] or name)
  if n then
    local v = value.of(t, n)
    v.register = aliases[name] or name
    return v
  end
  local of = parts[name]
  if of then
    local full, from, _, part_type = table.unpack(of)
    return value.of(part_type, env:register(full) >> (8 * from))
  end
  local v = env:convenience(name)
  if v then
    local copy = value.snapshot(v)
    copy.convenience = name
    copy.address = nil
    return copy
  end
  return { type = types.void, bytes = "", convenience = name }
end

-- The function a call names: its address and type.
local function callee(v)
  local t = strip(v.type)
  if t.kind == "pointer" and strip(t.target).kind == "function" then
    return number(v), strip(t.target)
  elseif t.kind == "function" then
    return v.address, t
  end
  fail("Cannot perform a function call on a non-function value")
end

-- An argument as abi.plan takes it, converted to its parameter's type
-- (or by C's default promotions when there is none: float to double):
-- a word (an integer, or a string: a character array that is not in
-- memory, a literal, passed as a pointer to a copy), or the bytes of a
-- floating-point or struct value.
local function argument(v, param)
  local t = strip(v.type)
  if t.kind == "array" and not v.address then
    local bytes = value.bytes(v)
    return { word = (bytes:gsub("%z$", "")) }
  end
  local pt = param and strip(param)
  if pt and (pt.kind == "reference" or pt.kind == "rvalue_reference") then
    if not v.address then -- (gdb would make a temporary in memory)
      fail("Attempt to take address of value not located in memory.")
    end
    return { word = v.address }
  end
  if t.kind == "struct" or t.kind == "union" then
    if pt and pt ~= t then
      fail("Cannot convert %s to %s.", types.name(v.type), types.name(param))
    end
    return { type = v.type, bytes = value.bytes(v) }
  end
  if pt and (pt.kind == "struct" or pt.kind == "union") then
    fail("Cannot convert %s to %s.", types.name(v.type), types.name(param))
  end
  if pt and (pt.kind == "int" or pt.kind == "enum" or pt.kind == "bool")
      and is_pointer(v) then
    fail("Cannot convert a pointer argument to %s.", types.name(param))
  end
  local target = param or (t.kind == "float" and t.size == 4
                           and builtin.double or nil)
  if target and strip(target).kind == "float" or not target and
      t.kind == "float" then
    local converted = cast(v, target or v.type)
    if strip(converted.type).size > 8 then
      fail("Passing long double arguments is not supported.")
    end
    return { type = converted.type, bytes = value.bytes(converted) }
  end
  return { word = target and value.number(cast(v, target)) or number(v) }
end

local compilers = {}

-- Closures of literals and of operators over them (below).
local constants = setmetatable({}, { __mode = "k" })

-- An operand's closure: a C++ reference operand stands for what it
-- refers to (the expression's own value keeps its reference, printed
-- "(int &) @0x...: 5").
-- (only names, members, elements, contents and calls can be references)
local may_refer = { id = true, scope = true, member = true, index = true,
                    unary = true, call = true, cast = true }

local function compile(node, env)
  local f = compilers[node.op](node, env)
  if constants[f] or not may_refer[node.op]
     or (node.op == "unary" and node.operator ~= "*") then
    return f
  end
  return function()
    return value.referenced(f())
  end
end

-- Closures of literals and of operators over them: a condition's `-1`
-- or `3 * 4` is computed once, when it is compiled, not at every hit.

local function constant(v)
  local ok, n = pcall(value.number, v)
  if ok then -- a literal's number, read once
    v.number = n
  end
  local f = function() return v end
  constants[f] = true
  return f
end

-- f over constant operands, computed now if that works (an error, such
-- as a division by zero, is left for the evaluation to raise).
local function folded(f, ...)
  for i = 1, select("#", ...) do
    if not constants[select(i, ...)] then
      return nil
    end
  end
  local ok, v = pcall(f)
  return ok and constant(v) or nil
end

--- Resolves a parsed type name in env.
function eval.type(env, t)
  local base = types.base(t.base) or env:type(t.base)
  if not base then
    local tag = t.base:match("^(%a+) ")
    if tag then
      fail("No %s type named %s.", tag, t.base:match(" (.*)$"))
    end
    fail('No symbol "%s" in current context.', t.base)
  end
  for _ = 1, t.stars do
    base = pointer(base)
  end
  if t.params then
    local params = {}
    for i, p in ipairs(t.params) do
      params[i] = eval.type(env, p)
    end
    base = pointer(types.func(base, params))
  end
  return base
end

compilers.int = function(node)
  local n, suffix = node.value, node.suffix
  local t
  local unsigned = suffix:find("u") ~= nil
  if suffix:find("l") then
    t = unsigned and builtin["unsigned long"] or builtin.long
  elseif n >= 0 and n < 0x80000000 then
    t = unsigned and builtin["unsigned int"] or builtin.int
  elseif n >= 0 and n < 0x100000000 and unsigned then
    t = builtin["unsigned int"]
  else
    t = (unsigned or n < 0) and builtin["unsigned long"] or builtin.long
  end
  return constant(value.of(t, n))
end

compilers.float = function(node)
  return constant(value.of(node.single and builtin.float or builtin.double,
                           node.value))
end

compilers.char = function(node)
  return constant(value.of(builtin.char, node.value))
end

compilers.string = function(node, env)
  local bytes = node.value .. "\0"
  local t = types.array(builtin.char, #bytes)
  local function copy(b) return env:copy_to_target(b) end
  return function()
    return { type = t, bytes = bytes, copy_to_target = copy }
  end
end

-- What `name` names outside any function: a file-scope variable, an
-- enumerator, a function or data symbol; nil when nothing.
local function file_scope_name(env, name)
  local v = env:global(name)
  if v then
    return v
  end
  local t, n = env:enumerator(name)
  if t then
    return value.of(t, n)
  end
  local addr, is_function = env:symbol(name)
  if addr then
    if is_function then
      -- of a C++ name's overloads gdb 13 finds the one defined last in its
      -- unit: the highest address
      local last = name:find("::", 1, true) and env:overloads(name)[1]
      addr = last and last.address or addr
      local ft = env:function_type(addr)
      if ft then
        return { type = ft, address = addr }
      end
      return { type = types.func(nil, nil), address = addr,
               nodebug = true, name = name }
    end
    return { type = { kind = "int", size = 4, signed = true,
                      name = "<data variable, no debug info>",
                      loaded = true },
             address = addr, nodebug = true, name = name }
  end
end

local literals = { ["true"] = bool_true, ["false"] = bool_false }

-- A data member of the object the C++ method in view runs on, named
-- without `this->` (gdb looks there after the frame's locals, before
-- file scope), or nil.
local function this_member(env, name)
  local this = env:cplus() and env:variable("this")
  local this_type = this and strip(this.type)
  local object = this_type and this_type.kind == "pointer"
    and strip(this_type.target)
  if object and (object.kind == "struct" or object.kind == "union")
     and find_member(object, name, 0) then
    return member(this, name, true)
  end
end

compilers.id = function(node, env)
  local name = node.name
  if literals[name] and env:cplus() then -- (C has no such keyword)
    return constant(literals[name])
  end
  return function()
    local v = env:variable(name) or this_member(env, name)
      or file_scope_name(env, name)
    if v then
      return v
    elseif env:is_typedef(name) then -- (gdb's parser reads it as a type)
      fail("Attempt to use a type name as an expression")
    end
    fail('No symbol "%s" in current context.', name)
  end
end

-- gdb's SCOPE::NAME (snare.expr.scoped).
compilers.scope = function(node, env)
  local function outward(name) return file_scope_name(env, name) end
  return function()
    return scoped.lookup(env, node.scope, node.name, outward)
  end
end

compilers.dollar = function(node, env)
  local name = node.name
  return function() return dollar(env, name) end
end

compilers.member = function(node, env)
  local object, name, arrow = compile(node.object, env), node.name, node.arrow
  return function() return member(object(), name, arrow) end
end

compilers.index = function(node, env)
  local object, i = compile(node.object, env), compile(node.index, env)
  return function() return index(object(), i()) end
end

local function call_with(env, fn, args, ret_override)
  local f = fn()
  local addr, t = callee(f)
  local ret = ret_override or t.target
  if ret == nil then
    fail("'%s' has unknown return type; cast the call to its declared return type",
         f.name or string.format("0x%x", addr))
  end
  local params = t.params or {}
  local given = {} -- evaluated before they are counted, as gdb's
  for i, a in ipairs(args) do
    given[i] = a()
  end
  if t.prototyped then
    if #args < #params then
      fail("Too few arguments in function call.")
    elseif #args > #params and not t.varargs then
      fail("Too many arguments in function call.")
    end
  end
  local values = {}
  for i, v in ipairs(given) do
    values[i] = argument(v, params[i])
  end
  local returned = env:call(addr, abi.plan(values, ret))
  if strip(ret).kind == "void" then
    return void_value
  end
  return abi.result(ret, returned)
end

-- How far value v is from parameter type param, as C++ overload
-- resolution ranks it: 0 the same type, 1 a promotion, 2 a standard
-- conversion, nil none.
local function conversion_rank(v, param)
  local from, to = strip(v.type), strip(param)
  if to.kind == "reference" or to.kind == "rvalue_reference" then
    to = strip(to.target)
  end
  if from.kind == to.kind and from.size == to.size
     and (from.kind ~= "int" or from.signed == to.signed) then
    return (from.name == to.name or from.kind ~= "struct") and 0 or nil
  end
  local numeric = { int = true, float = true, bool = true, enum = true }
  if numeric[from.kind] and numeric[to.kind] then
    local promoted = (to.kind == "int" and to.size == 4 and from.kind ~= "float"
                      and (from.size or 4) < 4)
      or (to.kind == "float" and to.size == 8 and from.kind == "float")
    return promoted and 1 or 2
  end
  if (from.kind == "pointer" or from.kind == "array") and to.kind == "pointer"
  then -- (an array decays)
    return 2
  end
  return nil
end

-- The overload of `candidates` ({address, type}) C++ would call with the
-- argument values: the least total rank, the first of a tie.
local function best_overload(candidates, values)
  local best, best_rank
  for _, c in ipairs(candidates) do
    local params = c.type.params or {}
    local total = #params == #values and 0 or nil
    for i = 1, total and #values or 0 do
      local r = conversion_rank(values[i], params[i])
      total = r and total and total + r or nil
    end
    if total and (not best_rank or total < best_rank) then
      best, best_rank = c, total
    end
  end
  return best
end

-- The C++ name a call's function node spells (ns::twice), or nil.
local function cxx_callee_name(node)
  if node.op == "scope" and node.scope then
    return node.scope .. "::" .. node.name
  elseif node.op == "id" and node.name:find("::", 1, true) then
    return node.name
  end
end

-- Calls the overload of `candidates` (not empty) the argument values
-- pick; `shown` names the function in the error ("function twice").
local function call_overload(env, candidates, values, shown)
  local given = {}
  for i, v in ipairs(values) do
    given[i] = function() return v end
  end
  local chosen = best_overload(candidates, values)
  if not chosen then
    fail("Cannot resolve %s to any overloaded instance", shown)
  end
  return call_with(env, function()
    return { type = chosen.type, address = chosen.address }
  end, given)
end

-- The values of the compiled arguments args, after `first` when given.
local function argument_values(args, first)
  local values = { first }
  for _, a in ipairs(args) do
    values[#values + 1] = a()
  end
  return values
end

-- A call of a C++ method of an object in memory, obj.f(args) or
-- p->f(args): its class's function of that name (of its overloads the
-- one the arguments pick), the object's address passed as `this`.
local function method_call(env, member_node, args)
  local object, name = compile(member_node.object, env), member_node.name
  return function()
    local v = object()
    local t = strip(v.type)
    if t.kind == "pointer" then
      v = value.at(t.target, number(v))
      t = strip(v.type)
    end
    if t.kind ~= "struct" and t.kind ~= "union" or not t.name then
      fail("Attempt to extract a component of a value that is not a struct "
           .. "or union")
    elseif not v.address then
      fail("Attempt to take address of value not located in memory.")
    end
    local qualified = t.name .. "::" .. name
    local addr, is_function = env:symbol(qualified)
    local ft = addr and is_function and env:function_type(addr)
    if not ft then
      fail("Couldn't find method %s", qualified)
    end
    -- (gdb resolves a method's overloads even where it has one)
    local candidates = env:overloads(qualified)
    if #candidates == 0 then
      candidates = { { address = addr, type = ft } }
    end
    local this = value.of(types.pointer(v.type), v.address)
    return call_overload(env, candidates, argument_values(args, this),
                         "method " .. qualified)
  end
end

compilers.call = function(node, env)
  local args = {}
  for i, a in ipairs(node.args) do
    args[i] = compile(a, env)
  end
  if node.fn.op == "member" then
    return method_call(env, node.fn, args)
  end
  local fn = compile(node.fn, env)
  local cxx_name = cxx_callee_name(node.fn)
  if cxx_name then -- an overload chosen by the arguments' types
    return function()
      local candidates = env:overloads(cxx_name)
      if #candidates == 0 then
        return call_with(env, fn, args)
      end
      return call_overload(env, candidates, argument_values(args),
                           "function " .. cxx_name:match("([^:]+)$"))
    end
  end
  return function() return call_with(env, fn, args) end
end

compilers.cast = function(node, env)
  local operand = compile(node.operand, env)
  local target -- resolved on first use: types come from the libraries
  local call = node.operand.op == "call" and node.operand or nil
  local fn, args
  if call then
    fn = compile(call.fn, env)
    args = {}
    for i, a in ipairs(call.args) do
      args[i] = compile(a, env)
    end
  end
  return function()
    target = target or eval.type(env, node.type)
    if call then -- gdb: a cast gives a call its return type
      local f = fn()
      if f.nodebug then
        return call_with(env, function() return f end, args, target)
      end
    end
    return cast(operand(), target)
  end
end

compilers.sizeof = function(node, env)
  if node.type then
    return function()
      local t = eval.type(env, node.type)
      return value.of(builtin.int, strip(t).size or 1)
    end
  end
  local operand = compile(node.operand, env)
  return function()
    local v = operand()
    local t = strip(v.type)
    return value.of(builtin.int, t.kind == "function" and 1 or t.size or 1)
  end
end

local unary = {
  ["-"] = function(v)
    if not types.is_arithmetic(v.type) then
      fail("Argument to arithmetic operation not a number or boolean.")
    end
    local t = promote(v.type, v)
    return value.of(t, -number(v))
  end,
  ["+"] = function(v)
    if not types.is_arithmetic(v.type) then
      fail("Argument to arithmetic operation not a number or boolean.")
    end
    return value.of(promote(v.type, v), number(v))
  end,
  ["!"] = function(v) return int_result(not truth(v)) end,
  ["~"] = function(v)
    require_integer(v, "~")
    return value.of(promote(v.type, v), ~number(v))
  end,
  ["*"] = deref,
  ["&"] = address_of,
}

compilers.unary = function(node, env)
  local operand = compile(node.operand, env)
  local operator = node.operator
  if operator == "++" or operator == "--" then
    local post = node.post
    local one = value.of(builtin.int, 1)
    local op = operator:sub(1, 1)
    return function()
      local target = operand()
      local old = value.snapshot(target)
      local new = assign(env, target, binary(op, target, one))
      return post and old or new
    end
  end
  local f = unary[operator]
  local run = function() return f(operand()) end
  if operator == "*" or operator == "&" then -- memory: read at each use
    return run
  elseif operator == "!" then
    run = in_language(env, run)
  end
  return folded(run, operand) or run
end

compilers.binary = function(node, env)
  local left, right = compile(node.left, env), compile(node.right, env)
  local operator = node.operator
  local run = function() return binary(operator, left(), right()) end
  if comparisons[operator] then
    run = in_language(env, run)
  end
  return folded(run, left, right) or run
end

compilers.logical = function(node, env)
  local left, right = compile(node.left, env), compile(node.right, env)
  if node.operator == "&&" then
    return in_language(env, function()
      return int_result(truth(left()) and truth(right()))
    end)
  end
  return in_language(env, function()
    return int_result(truth(left()) or truth(right()))
  end)
end

compilers.cond = function(node, env)
  local test, yes, no = compile(node.test, env), compile(node.yes, env),
                        compile(node.no, env)
  return function()
    if truth(test()) then
      return yes()
    end
    return no()
  end
end

compilers.assign = function(node, env)
  local target, v = compile(node.target, env), compile(node.value, env)
  local op = node.operator:sub(1, -2)
  return function()
    local t = target()
    local new = v()
    if op ~= "" then
      new = binary(op, t, new)
    end
    return assign(env, t, new)
  end
end

compilers.comma = function(node, env)
  local left, right = compile(node.left, env), compile(node.right, env)
  return function()
    left()
    return right()
  end
end

--- Compiles a tree from snare.expr.parser: a function returning the
-- expression's value each time it is called.
function eval.compile(tree, env)
  return compilers[tree.op](tree, env)
end

eval.truth = truth
eval.decay = decay
-- C's rules, shared with the specialising compiler (snare.expr.specialise)
eval.promote = promote
eval.common = common
eval.divide = divide
eval.less = less
eval.element_size = element_size
eval.find_member = find_member
eval.member = member
eval.index = index
eval.cast = cast

return eval
