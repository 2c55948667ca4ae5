--- C expressions compiled for one breakpoint site: the parsed tree,
-- with the frame of the site's first hit in hand, becomes Lua source
-- that is loaded once into one function of the trapped frame. Each
-- variable, field offset, pointer step, integer promotion and
-- conversion is resolved at that point, so a hit runs plain Lua
-- arithmetic over numbers: scalar locals through the reads compiled
-- for the breakpoint (frame:scalar_number), memory through snare's typed
-- reads, no value objects, no DWARF, no allocation.
--
-- What this cannot express (calls into the target, assignments,
-- registers and history, strings, aggregates as results, bitfields,
-- locals that are not scalars, long doubles) is not specialised: the
-- general evaluator (snare.expr.eval) runs the expression instead.
-- Both give the same values; spec/expr_oracle checks that on real code.
-- @module snare.expr.specialise

local snare = require "snare"
local eval = require "snare.expr.eval"
local types = require "snare.expr.types"
local value = require "snare.expr.value"

local specialise = {}

local builtin, strip, pointer = types.builtin, types.strip, types.pointer

-- Raised while compiling where the fast path cannot express a node.
local unsupported_marker = setmetatable({}, {
  __tostring = function() return "not specialised" end,
})
local function unsupported()
  error(unsupported_marker, 0)
end

local Ctx = {}
Ctx.__index = Ctx

function Ctx:emit(fmt, ...)
  self.lines[#self.lines + 1] = string.format(fmt, ...)
end

function Ctx:tmp()
  self.count = self.count + 1
  return "t" .. self.count
end

-- A name the generated code uses for a Lua value (a function, a float).
function Ctx:up(v)
  local name = self.up_names[v]
  if not name then
    self.up_list[#self.up_list + 1] = v
    name = "u" .. #self.up_list
    self.up_names[v] = name
  end
  return name
end

function Ctx:literal(n)
  if math.type(n) == "integer" and n ~= math.mininteger then
    return n < 0 and "(" .. n .. ")" or tostring(n)
  end
  return self:up(n) -- floats keep every bit; math.mininteger has no literal
end

local function constant(ctx, t, n)
  return { type = t, const = n, num = ctx:literal(n),
           exact = math.type(n) == "integer" }
end

local function kind_of(d)
  return strip(d.type).kind
end

local function is_pointer(d)
  local k = kind_of(d)
  return k == "pointer" or (k == "array" and d.addr ~= nil) or k == "function"
end

local function is_arithmetic(d)
  local k = kind_of(d)
  return k == "int" or k == "bool" or k == "enum" or k == "float"
end

-- The integer kinds as the general evaluator reads them: size and
-- signedness (bools and pointers unsigned).
local function integer_shape(t)
  local s = strip(t)
  local k = s.kind
  if k == "pointer" then
    return 8, false
  elseif k == "int" or k == "enum" or k == "bool" then
    local size = s.size
    if size ~= 1 and size ~= 2 and size ~= 4 and size ~= 8 then
      unsupported()
    end
    return size, k ~= "bool" and types.is_signed(s)
  end
  unsupported()
end

-- Lua source wrapping integer expression e to size bytes (value.wrap).
local function wrapped(e, size, signed)
  if size >= 8 then
    return e
  end
  local bits = 8 * size
  if signed then
    return string.format("(((%s) + %d) & %d) - %d", e, 1 << (bits - 1),
                         (1 << bits) - 1, 1 << (bits - 1))
  end
  return string.format("((%s) & %d)", e, (1 << bits) - 1)
end

-- Whether wrapping d's number to size/signed changes nothing: d is
-- `exact` (its number is known to lie in its own type's range) and that
-- range fits.
local function fits(d, size, signed)
  if size >= 8 then
    return true
  end
  local k = kind_of(d)
  if not d.exact or (k ~= "int" and k ~= "enum" and k ~= "bool" and
                     k ~= "pointer") then
    return false
  end
  local own, own_signed = integer_shape(d.type)
  return own_signed == signed and own <= size or
         not own_signed and signed and own < size
end

-- Emits the read of a scalar of type t at address expression a: the
-- name holding its number.
local function read_at(ctx, t, a)
  local s = strip(t)
  local out = ctx:tmp()
  local nomem = ctx:up(value.no_memory)
  if s.kind == "float" then
    local format = s.size == 4 and "<f" or s.size == 8 and "<d" or nil
    if not format then
      unsupported()
    end
    local bytes = ctx:tmp()
    ctx:emit("local %s = %s(%s, %d) if not %s then %s(%s) end", bytes,
             ctx:up(snare.read), a, s.size, bytes, nomem, a)
    ctx:emit("local %s = (%s(%q, %s))", out, ctx:up(string.unpack), format,
             bytes)
    return out
  end
  local size, signed = integer_shape(t)
  local read = snare[(signed and "read_i" or "read_u") .. size * 8]
  ctx:emit("local %s = %s(%s) if %s == nil then %s(%s) end", out,
           ctx:up(read), a, out, nomem, a)
  return out, true
end

-- The Lua expression of d's number (C's value.number of d, arrays and
-- functions decayed to their address).
local function number(ctx, d)
  if d.num then
    return d.num
  end
  local k = kind_of(d)
  if not d.addr or k == "struct" or k == "union" or k == "void" then
    unsupported()
  end
  if k == "array" or k == "function" then
    d.num = d.addr
  else
    d.num, d.exact = read_at(ctx, d.type, d.addr)
  end
  return d.num
end

-- Holds expression e in a fresh local (so it is computed once, here).
local function hold(ctx, e)
  if e:match("^[%w_]+$") or e:match("^%(%-?%d+%)$") then
    return e
  end
  local name = ctx:tmp()
  ctx:emit("local %s = %s", name, e)
  return name
end

-- Expression e of d's number wrapped to size/signed: folded for a
-- constant, as is when it already fits.
local function in_type(ctx, d, e, size, signed)
  if math.type(d.const) == "integer" then
    return ctx:literal(value.wrap(d.const, size, signed))
  elseif fits(d, size, signed) then
    return e
  end
  return hold(ctx, wrapped(e, size, signed))
end

-- An lvalue of type t at address expression a.
local function lvalue(ctx, t, a)
  return { type = t, addr = hold(ctx, a) }
end

-- A value of type t computed as number(v) converted to t, as
-- value.number(value.of(t, n)) gives it.
local function converted(ctx, t, d)
  local s = strip(t)
  local e = number(ctx, d)
  if s.kind == "float" then
    local from_float = strip(d.type).kind == "float"
    e = from_float and e or "(" .. e .. " + 0.0)"
    if s.size == 4 then
      local pack, unpack = ctx:up(string.pack), ctx:up(string.unpack)
      e = string.format('(%s("<f", %s("<f", %s)))', unpack, pack, e)
    elseif s.size ~= 8 then
      unsupported()
    end
    return { type = t, num = hold(ctx, e) }
  end
  local size, signed = integer_shape(t)
  if strip(d.type).kind == "float" then
    e = string.format("%s(%s)", ctx:up(specialise.float_to_integer), e)
  elseif fits(d, size, signed) and s.kind ~= "bool" then
    return { type = t, num = e, exact = true }
  end
  if s.kind == "bool" then
    e = string.format("(%s ~= 0 and 1 or 0)", e)
  end
  return { type = t, num = hold(ctx, wrapped(e, size, signed)), exact = true }
end

--- A float converted to an integer as value.of converts it.
function specialise.float_to_integer(n)
  if n ~= n or n >= 2.0 ^ 63 or n < -(2.0 ^ 63) then
    return n >= 2.0 ^ 63 and math.tointeger(n - 2.0 ^ 64) or math.mininteger
  end
  return math.tointeger(n < 0 and math.ceil(n) or math.floor(n))
end

-- A C int 1 or 0 from Lua boolean expression b.
local function boolean(b)
  return { type = builtin.int, bool = b, num = "(" .. b .. " and 1 or 0)",
           exact = true }
end

-- The Lua boolean expression of d's C truth.
local function truth(ctx, d)
  if d.bool then
    return d.bool
  end
  local k = kind_of(d)
  if k == "struct" or k == "union" or (k == "array" and not d.addr) then
    unsupported()
  end
  return "(" .. number(ctx, d) .. " ~= 0)"
end

local S = {}

-- Whether node is made of literals and operators only (no names, no
-- memory): folded by the general evaluator when compiled.
local foldable = { binary = true, logical = true, cond = true, cast = true }
local function pure(node)
  local op = node.op
  if op == "int" or op == "float" or op == "char" then
    return true
  elseif op == "sizeof" then
    return node.type ~= nil
  elseif op == "unary" then
    local o = node.operator
    return o ~= "*" and o ~= "&" and o ~= "++" and o ~= "--" and
           pure(node.operand)
  elseif not foldable[op] or (op == "binary" and node.operator == "@") or
         (op == "cast" and node.operand.op == "call") then
    return false
  end
  for _, key in ipairs({ "left", "right", "test", "yes", "no", "operand" }) do
    if node[key] and not pure(node[key]) then
      return false
    end
  end
  return true
end

local general_constant

local function spec(node, ctx)
  local f = S[node.op]
  if not f then
    unsupported()
  end
  if pure(node) then
    local ok, d = pcall(general_constant, node, ctx)
    if ok then
      return d
    end -- an error (a division by zero) is raised at each evaluation
  end
  return f(node, ctx)
end

-- Literals and sizeof(type): the general evaluator's constant, once.
function general_constant(node, ctx)
  local v = eval.compile(node, ctx.env)()
  return constant(ctx, v.type, value.number(v))
end
S.int, S.float, S.char = general_constant, general_constant, general_constant

S.sizeof = function(node, ctx)
  if node.type then
    return general_constant(node, ctx)
  end
  local d = spec(node.operand, ctx)
  local t = strip(d.type)
  return constant(ctx, builtin.int, t.kind == "function" and 1 or t.size or 1)
end

-- A name that is no local of a condition's frame (frame:locate gave
-- `where`, `why`): the file-scope variable (env:global's), or the
-- enumerator's type and number; nothing for a local the compiled reads
-- do not take, or a name that is neither.
local function outer(env, name, where, why)
  if where or (why and not why:match("^no variable") and
               not why:match("not found")) then
    return nil
  end
  local v = env:global(name)
  if v then
    return v
  end
  return nil, env:enumerator(name)
end

-- An identifier as snare.expr.env resolves it for a condition's frame:
-- a scalar local through its compiled read, else (no local of that
-- name) a variable at file scope or an enumerator.
S.id = function(node, ctx)
  local name, frame, env = node.name, ctx.frame, ctx.env
  local bytes = ctx.scalar(frame, name)
  local where, why = frame:locate(name)
  if bytes then
    local t = where and not where.optimized_out and types.from_ref(where.type)
    if not t or strip(t).size ~= #bytes then
      unsupported()
    end
    -- read once per hit, first (a compiled read has no side effect and
    -- does not fail; one refused at some hit sends that hit to the
    -- general evaluator)
    local out = ctx.locals[name]
    if not out then
      out = ctx:tmp()
      ctx.locals[name] = out
      ctx.prologue[#ctx.prologue + 1] = string.format(
        "local %s = %s(f, %q) if %s == nil then return fallback(f) end",
        out, ctx:up(frame.scalar_number), name, out)
    end
    local k = strip(t).kind -- the compiled read's sign is DWARF's encoding
    return { type = t, num = out, exact = k == "int" or k == "pointer" }
  end
  local v, t, n = outer(env, name, where, why)
  if v then
    return lvalue(ctx, v.type, ctx:literal(v.address))
  elseif t then
    return constant(ctx, t, n)
  end
  unsupported()
end

-- The struct or union d is (or points to) and its address.
local function aggregate(ctx, d, arrow)
  local t = strip(d.type)
  if t.kind == "pointer" or (arrow and t.kind == "array") then
    d = lvalue(ctx, t.target, number(ctx, d))
    t = strip(d.type)
  end
  if (t.kind ~= "struct" and t.kind ~= "union") or not d.addr then
    unsupported()
  end
  return t, d.addr
end

S.member = function(node, ctx)
  local t, base = aggregate(ctx, spec(node.object, ctx), node.arrow)
  local m, offset = eval.find_member(t, node.name, 0)
  if not m or m.bit_size then
    unsupported()
  end
  return lvalue(ctx, m.type, offset == 0 and base
                              or string.format("%s + %d", base, offset))
end

-- The pointer type array or pointer d decays to, unstripped (a typedef
-- of a pointer stays one), and stripped.
local function decayed(d)
  local k = kind_of(d)
  if k == "array" then
    local p = pointer(strip(d.type).target)
    return p, p
  elseif k ~= "pointer" then
    unsupported()
  end
  return d.type, strip(d.type)
end

-- Pointer d stepped by n elements (n a Lua integer expression): the
-- stepped pointer's type, stripped type and address expression.
local function step(ctx, d, n, sign)
  local t, pt = decayed(d)
  local ok, size = pcall(eval.element_size, pt)
  if not ok then
    unsupported()
  end
  return t, pt, string.format("%s %s %s * %d", number(ctx, d), sign, n, size)
end

-- The operands of a[i] (C lets either side be the pointer): the array
-- or pointer and the integer index, or nil when they are not.
local function indexed(a, b)
  if not is_pointer(a) and is_pointer(b) then
    a, b = b, a
  end
  local k = kind_of(a)
  if (k ~= "array" and k ~= "pointer") or not types.is_integer(b.type) then
    return nil
  end
  return a, b
end

S.index = function(node, ctx)
  local v, i = indexed(spec(node.object, ctx), spec(node.index, ctx))
  if not v or not v.addr and kind_of(v) == "array" then
    unsupported()
  end
  local _, pt, a = step(ctx, v, number(ctx, i), "+")
  return lvalue(ctx, pt.target, a)
end

local function promoted(d)
  return eval.promote(d.type, d)
end

local unary = {}

unary["-"] = function(ctx, d)
  if not is_arithmetic(d) then
    unsupported()
  end
  return converted(ctx, promoted(d), { type = d.type,
                                       num = "(-" .. number(ctx, d) .. ")" })
end

unary["+"] = function(ctx, d)
  if not is_arithmetic(d) then
    unsupported()
  end
  return converted(ctx, promoted(d), d)
end

unary["!"] = function(ctx, d)
  return boolean("not " .. truth(ctx, d))
end

unary["~"] = function(ctx, d)
  if not types.is_integer(d.type) then
    unsupported()
  end
  return converted(ctx, promoted(d), { type = d.type,
                                       num = "(~" .. number(ctx, d) .. ")" })
end

-- The type *d designates (d a pointer, or an array at an address when
-- `addressed`), or nil when it designates no object (void, a function).
local function pointee(d, addressed)
  local t = strip(d.type)
  if t.kind ~= "pointer" and not (t.kind == "array" and addressed) then
    return nil
  end
  local target = strip(t.target)
  if target.kind == "void" or target.kind == "function" then
    return nil
  end
  return t.target
end

unary["*"] = function(ctx, d)
  local target = pointee(d, d.addr ~= nil)
  if not target then
    unsupported()
  end
  return lvalue(ctx, target, number(ctx, d))
end

unary["&"] = function(_, d)
  if not d.addr or kind_of(d) == "function" then
    unsupported()
  end
  return { type = pointer(d.type), num = d.addr, exact = true }
end

S.unary = function(node, ctx)
  local f = unary[node.operator]
  if not f then
    unsupported() -- ++ and --: stores, left to the general evaluator
  end
  return f(ctx, spec(node.operand, ctx))
end

S.cast = function(node, ctx)
  if node.operand.op == "call" then
    unsupported()
  end
  local t = eval.type(ctx.env, node.type)
  local d = spec(node.operand, ctx)
  local to, from = strip(t).kind, kind_of(d)
  if to == "void" or to == "struct" or to == "union" or to == "array" or
     from == "struct" or from == "union" or from == "void" then
    unsupported()
  end
  return converted(ctx, t, d)
end

-- A comparison's boolean, as eval's compare: pointers unsigned, else the
-- operands converted to their common type.
local function compare(ctx, operator, a, b)
  local x, y, signed
  local plain = is_arithmetic(a) and is_arithmetic(b)
  if not plain and (is_pointer(a) or is_pointer(b)) then
    if not (is_pointer(a) or is_arithmetic(a)) or
       not (is_pointer(b) or is_arithmetic(b)) then
      unsupported()
    end
    x, y, signed = number(ctx, a), number(ctx, b), false
    if kind_of(a) == "float" or kind_of(b) == "float" then
      unsupported()
    end
  elseif plain then
    local t = eval.common(a, b)
    x, y = number(ctx, a), number(ctx, b)
    if t.kind == "float" then
      if kind_of(a) ~= "float" then x = "(" .. x .. " + 0.0)" end
      if kind_of(b) ~= "float" then y = "(" .. y .. " + 0.0)" end
      signed = true
    else
      x = in_type(ctx, a, x, t.size, t.signed)
      y = in_type(ctx, b, y, t.size, t.signed)
      signed = t.signed
    end
  else
    unsupported()
  end
  local function less(p, q)
    if signed then
      return string.format("(%s < %s)", p, q)
    end
    return string.format("%s(%s, %s)", ctx:up(math.ult), p, q)
  end
  if operator == "==" then return boolean(x .. " == " .. y)
  elseif operator == "!=" then return boolean(x .. " ~= " .. y)
  elseif operator == "<" then return boolean(less(x, y))
  elseif operator == ">" then return boolean(less(y, x))
  elseif operator == "<=" then return boolean("not " .. less(y, x))
  end
  return boolean("not " .. less(x, y))
end

local comparisons = { ["=="] = true, ["!="] = true, ["<"] = true,
                      [">"] = true, ["<="] = true, [">="] = true }
local lua_operators = { ["+"] = "+", ["-"] = "-", ["*"] = "*", ["&"] = "&",
                        ["|"] = "|", ["^"] = "~" }

-- Pointer arithmetic, as eval's binary.
local function pointer_arithmetic(ctx, operator, a, b)
  local pa, pb = is_pointer(a), is_pointer(b)
  if pa and pb then
    if operator == "+" then
      unsupported()
    end
    local _, pt = decayed(a)
    decayed(b)
    local ok, size = pcall(eval.element_size, pt)
    if not ok then
      unsupported()
    end
    return { type = builtin.long, exact = true, num = hold(ctx, string.format(
      "(%s - %s) // %d", number(ctx, a), number(ctx, b), size)) }
  end
  local p, i = a, b
  if pb then
    if operator == "-" then
      unsupported()
    end
    p, i = b, a
  end
  if not types.is_integer(i.type) then
    unsupported()
  end
  local t, _, e = step(ctx, p, number(ctx, i), operator)
  return { type = t, num = hold(ctx, e), exact = true }
end

local function shift(ctx, operator, a, b)
  if not types.is_integer(a.type) or not types.is_integer(b.type) then
    unsupported()
  end
  local t = promoted(a)
  local x = number(ctx, a)
  x = in_type(ctx, a, x, t.size, t.signed)
  local n, bits, out = number(ctx, b), t.size * 8, ctx:tmp()
  local shifted
  if operator == "<<" then
    shifted = string.format("%s << %s", x, n)
  elseif t.signed then
    shifted = string.format("%s // (1 << %s)", x, n)
  else
    shifted = string.format("%s >> %s", wrapped(x, t.size, false), n)
  end
  ctx:emit("local %s = 0 if %s >= 0 and %s < %d then %s = %s end", out, n, n,
           bits, out, wrapped(shifted, t.size, t.signed))
  return { type = t, num = out, exact = true }
end

local function arithmetic(ctx, operator, a, b)
  if not is_arithmetic(a) or not is_arithmetic(b) then
    unsupported()
  end
  local t = eval.common(a, b)
  local x, y = number(ctx, a), number(ctx, b)
  if t.kind == "float" then
    local op = lua_operators[operator]
    if operator == "/" then
      op = "/"
    elseif operator == "%" or op == nil or op == "&" or op == "|" or
           op == "~" then
      unsupported()
    end
    if kind_of(a) ~= "float" then x = "(" .. x .. " + 0.0)" end
    if kind_of(b) ~= "float" then y = "(" .. y .. " + 0.0)" end
    return converted(ctx, t, { type = t, num = string.format("(%s %s %s)", x,
                                                               op, y) })
  end
  x = in_type(ctx, a, x, t.size, t.signed)
  y = in_type(ctx, b, y, t.size, t.signed)
  local e
  if operator == "/" or operator == "%" then
    local small_unsigned = t.size < 8 and not t.signed
    e = string.format("%s(%s, %s, %s, %s)", ctx:up(eval.divide),
                      small_unsigned and wrapped(x, t.size, false) or x,
                      small_unsigned and wrapped(y, t.size, false) or y,
                      tostring(small_unsigned or t.signed == true),
                      tostring(operator == "%"))
  else
    e = string.format("(%s %s %s)", x, lua_operators[operator], y)
  end
  return { type = t, num = hold(ctx, wrapped(e, t.size, t.signed)),
           exact = true }
end

S.binary = function(node, ctx)
  local operator = node.operator
  if operator == "@" then
    unsupported()
  end
  local a, b = spec(node.left, ctx), spec(node.right, ctx)
  if comparisons[operator] then
    return compare(ctx, operator, a, b)
  end
  if (operator == "+" or operator == "-") and (is_pointer(a) or is_pointer(b)) then
    return pointer_arithmetic(ctx, operator, a, b)
  end
  if operator == "<<" or operator == ">>" then
    return shift(ctx, operator, a, b)
  end
  return arithmetic(ctx, operator, a, b)
end

-- Runs body (which emits code and returns a boolean expression) inside
-- a branch: its code stays within the branch.
local function branch(ctx, condition, out, body)
  ctx:emit("if %s then", condition)
  ctx:emit("%s = %s", out, body())
  ctx:emit("end")
end

S.logical = function(node, ctx)
  local out = ctx:tmp()
  local left = truth(ctx, spec(node.left, ctx))
  ctx:emit("local %s = %s", out, left)
  local condition = node.operator == "&&" and out or "not " .. out
  branch(ctx, condition, out, function()
    return truth(ctx, spec(node.right, ctx))
  end)
  return boolean(out)
end

S.cond = function(node, ctx)
  local test = truth(ctx, spec(node.test, ctx))
  local out = ctx:tmp()
  ctx:emit("local %s", out)
  local yes_type
  ctx:emit("if %s then", test)
  local yes = spec(node.yes, ctx)
  ctx:emit("%s = %s", out, number(ctx, yes))
  yes_type = yes.type
  ctx:emit("else")
  local no = spec(node.no, ctx)
  ctx:emit("%s = %s", out, number(ctx, no))
  ctx:emit("end")
  if yes_type ~= no.type or kind_of(yes) == "array" then
    unsupported() -- the general evaluator's result type depends on the test
  end
  return { type = yes_type, num = out }
end

S.comma = function(node, ctx)
  spec(node.left, ctx) -- its reads are made; an lvalue itself stays unread,
  return spec(node.right, ctx) -- as the general evaluator's lazy values
end

-- What snare.expr.lower shares: how types read and which nodes fold.
specialise.shapes = { kind_of = kind_of, is_pointer = is_pointer,
                      is_arithmetic = is_arithmetic,
                      integer_shape = integer_shape, pure = pure,
                      indexed = indexed, pointee = pointee, outer = outer }

--- Compiles tree (from snare.expr.parser) for the site of `frame` (a
-- breakpoint condition's frame: frame:scalar and frame:locate) in
-- environment env. Returns a function of a frame at that site giving
-- the expression's number, one giving its C truth (a boolean), its
-- type and the generated source; or nil and why when the fast path
-- cannot express it. At a hit whose compiled read is refused, the
-- functions return fallback_number(frame) and fallback_truth(frame)
-- (the general evaluator's answers).
function specialise.compile(tree, env, frame, fallback_number, fallback_truth)
  if not frame.scalar_number then
    return nil, "not a condition's frame"
  end
  local ctx = setmetatable({ lines = {}, prologue = {}, locals = {},
                             count = 0, up_list = {},
                             up_names = {}, env = env, frame = frame,
                             scalar = frame.scalar }, Ctx)
  local ok, d = pcall(spec, tree, ctx)
  local result, test
  if ok then
    ok, result = pcall(function()
      local k = kind_of(d)
      if k == "struct" or k == "union" or k == "array" or k == "function" or
         k == "void" then
        unsupported() -- aggregates are printed from the general values
      end
      local n = number(ctx, d)
      return { n, truth(ctx, d) }
    end)
  else
    result = d
  end
  if not ok then
    if result == unsupported_marker then
      return nil, "not specialised"
    end
    return nil, tostring(result) -- a compile-time error: the general path
  end
  local n, b = result[1], result[2]
  local names = {}
  for i = 1, #ctx.up_list do
    names[i] = "u" .. i
  end
  table.insert(names, 1, "fallback_number, fallback_truth")
  local body = table.concat(ctx.prologue, "\n") .. "\n"
    .. table.concat(ctx.lines, "\n")
  local source = "local " .. table.concat(names, ", ") .. " = ...\n"
    .. "return function(f)\nlocal fallback = fallback_number\n" .. body
    .. "\nreturn " .. n .. "\nend, function(f)\n"
    .. "local fallback = fallback_truth\n" .. body .. "\nreturn " .. b
    .. "\nend"
  local chunk = assert(load(source, "=(condition)", "t"))
  local get
  get, test = chunk(fallback_number, fallback_truth,
                    table.unpack(ctx.up_list, 1, #ctx.up_list))
  return get, test, d.type, source
end

return specialise
