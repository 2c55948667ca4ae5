--- C conditions lowered to native programs: the parsed tree, with the
-- frame of a breakpoint site's first hit in hand, becomes a stack
-- program (snare.h, "Native condition programs") that the core runs
-- before the Lua condition at every later hit there, on the thread that
-- hit it, without entering Lua. Types are resolved here, once: every
-- integer promotion and usual arithmetic conversion is an explicit WRAP
-- step, so the program's words always hold a value of a known width and
-- signedness, as snare.expr.specialise's numbers do.
--
-- Only what has the same meaning in 64-bit words is lowered: integer,
-- enum, bool and pointer values; scalar locals through their compiled
-- reads, globals, enumerators, integer and character constants; unary
-- - + ! ~ * &, the binary arithmetic, bitwise, shift and comparison
-- operators, && || ?:, casts between integer and pointer types, members
-- (not bitfields), indexing and pointer +/- an integer. Floats, calls,
-- strings, assignments, registers, history, pointer differences and
-- aggregates as results are not: the Lua condition decides those alone.
-- @module snare.expr.lower

local eval = require "snare.expr.eval"
local specialise = require "snare.expr.specialise"
local types = require "snare.expr.types"
local value = require "snare.expr.value"

local lower = {}

local strip, pointer = types.strip, types.pointer
local shapes = specialise.shapes
local kind_of, is_pointer = shapes.kind_of, shapes.is_pointer
local integer_shape = shapes.integer_shape

-- Raised where a node has no native form.
local refused = setmetatable({}, {
  __tostring = function() return "not lowered" end,
})
local function refuse()
  error(refused, 0)
end

-- A lowered subexpression: its type, its steps (in order), and whether
-- they leave its address (an lvalue not read yet) rather than its value.
local function node(t, steps, address)
  return { type = t, steps = steps, address = address }
end

local function step(op, fields)
  fields = fields or {}
  fields.op = op
  return fields
end

-- The steps of the lowered pieces, then the extra steps, in order.
local function join(...)
  local out = {}
  for _, part in ipairs({ ... }) do
    for _, s in ipairs(part.steps or part) do
      out[#out + 1] = s
    end
  end
  return out
end

local function is_integer_kind(k)
  return k == "int" or k == "enum" or k == "bool" or k == "pointer"
end

-- The steps leaving d's value: a scalar read where d is an lvalue, an
-- array's address (it decays), what d computes otherwise.
local function value_steps(d)
  local k = kind_of(d)
  if not d.address or k == "array" then
    if k == "struct" or k == "union" or k == "void" or k == "float" or
       k == "function" then
      refuse()
    end
    return d.steps
  end
  if not is_integer_kind(k) then
    refuse()
  end
  local size, signed = integer_shape(d.type)
  return join(d.steps, { step("LOAD", { size = size, signed = signed }) })
end

local function rvalue(d)
  local t = kind_of(d) == "array" and pointer(strip(d.type).target) or d.type
  return node(t, value_steps(d))
end

-- d's value converted to integer or pointer type t.
local function converted(t, d)
  local v = rvalue(d)
  local s = strip(t)
  if not is_integer_kind(s.kind) or not is_integer_kind(kind_of(v)) then
    refuse()
  end
  if s.kind == "bool" then
    return node(t, join(v, { step("TRUTH") }))
  end
  local size, signed = integer_shape(t)
  if size >= 8 then
    return node(t, v.steps)
  end
  return node(t, join(v, { step("WRAP", { size = size, signed = signed }) }))
end

local function constant(t, n)
  if math.type(n) ~= "integer" or not is_integer_kind(strip(t).kind) then
    refuse()
  end
  return node(t, { step("CONSTANT", { operand = n }) })
end

local L = {}

local function lowered(tree, ctx)
  if shapes.pure(tree) then
    local ok, v = pcall(function() return eval.compile(tree, ctx.env)() end)
    if not ok then
      refuse() -- a constant error (a division by zero): Lua raises it
    end
    return constant(v.type, value.number(v))
  end
  local f = L[tree.op]
  if not f then
    refuse()
  end
  return f(tree, ctx)
end

-- A name as snare.expr.specialise resolves it in a condition's frame: a
-- scalar local through its compiled read, else a file-scope variable
-- or an enumerator.
L.id = function(tree, ctx)
  local name, frame, env = tree.name, ctx.frame, ctx.env
  local bytes = frame:scalar(name)
  local where, why = frame:locate(name)
  if bytes then
    local t = where and not where.optimized_out and types.from_ref(where.type)
    if not t or strip(t).size ~= #bytes or not is_integer_kind(strip(t).kind)
       or #name >= 32 then
      refuse()
    end
    local index = ctx.names[name]
    if not index then
      ctx.name_list[#ctx.name_list + 1] = name
      index = #ctx.name_list
      ctx.names[name] = index
    end
    return node(t, { step("VARIABLE", { operand = index - 1 }) })
  end
  local v, t, n = shapes.outer(env, name, where, why)
  if v then
    return node(v.type, { step("CONSTANT", { operand = v.address }) }, true)
  elseif t then
    return constant(t, n)
  end
  refuse()
end

L.sizeof = function(tree, ctx)
  local d = lowered(tree.operand, ctx) -- only its type: its steps never run
  local t = strip(d.type)
  return constant(types.builtin.int, t.kind == "function" and 1 or t.size or 1)
end

-- The address of the struct or union d is (or points to).
local function aggregate(d, arrow)
  local t = strip(d.type)
  if t.kind == "pointer" or (arrow and t.kind == "array") then
    d = node(t.target, value_steps(d), true)
    t = strip(d.type)
  end
  if (t.kind ~= "struct" and t.kind ~= "union") or not d.address then
    refuse()
  end
  return t, d
end

L.member = function(tree, ctx)
  local t, base = aggregate(lowered(tree.object, ctx), tree.arrow)
  local m, offset = eval.find_member(t, tree.name, 0)
  if not m or m.bit_size then
    refuse()
  end
  if offset == 0 then
    return node(m.type, base.steps, true)
  end
  return node(m.type, join(base, { step("CONSTANT", { operand = offset }),
                                   step("ADD") }), true)
end

-- The steps of pointer p (or an array) moved by integer i's elements
-- with op ("ADD" or "SUBTRACT"); the moved pointer's type.
local function moved(p, i, op)
  local t = kind_of(p) == "array" and pointer(strip(p.type).target) or p.type
  local ok, size = pcall(eval.element_size, strip(t))
  if not ok or not types.is_integer(i.type) then
    refuse()
  end
  return t, join(value_steps(p), value_steps(i),
                 { step("CONSTANT", { operand = size }), step("MULTIPLY"),
                   step(op) })
end

L.index = function(tree, ctx)
  local v, i = shapes.indexed(lowered(tree.object, ctx),
                              lowered(tree.index, ctx))
  if not v then
    refuse()
  end
  local t, steps = moved(v, i, "ADD")
  return node(strip(t).target, steps, true)
end

local function promoted(d)
  if not types.is_integer(d.type) then
    refuse() -- floats (and pointers) have no promotion here
  end
  return eval.promote(d.type, d)
end

local unary = {}

unary["-"] = function(d)
  local t = promoted(d)
  return converted(t, node(t, join(converted(t, d), { step("NEGATE") })))
end

unary["+"] = function(d)
  return converted(promoted(d), d)
end

unary["~"] = function(d)
  local t = promoted(d)
  return converted(t, node(t, join(converted(t, d), { step("COMPLEMENT") })))
end

unary["!"] = function(d)
  return node(types.builtin.int, join(rvalue(d), { step("NOT") }))
end

unary["*"] = function(d)
  local target = shapes.pointee(d, d.address ~= nil)
  if not target then
    refuse()
  end
  return node(target, value_steps(d), true)
end

unary["&"] = function(d)
  if not d.address or kind_of(d) == "function" then
    refuse()
  end
  return node(pointer(d.type), d.steps)
end

L.unary = function(tree, ctx)
  local f = unary[tree.operator]
  if not f then
    refuse() -- ++ and --: stores
  end
  return f(lowered(tree.operand, ctx))
end

L.cast = function(tree, ctx)
  if tree.operand.op == "call" then
    refuse()
  end
  return converted(eval.type(ctx.env, tree.type), lowered(tree.operand, ctx))
end

local comparisons = { ["=="] = "EQUAL", ["!="] = "NOT_EQUAL", ["<"] = "LESS",
                      ["<="] = "LESS_EQUAL", [">"] = "GREATER",
                      [">="] = "GREATER_EQUAL" }
local arithmetic_ops = { ["+"] = "ADD", ["-"] = "SUBTRACT",
                         ["*"] = "MULTIPLY", ["/"] = "DIVIDE",
                         ["%"] = "REMAINDER", ["&"] = "AND", ["|"] = "OR",
                         ["^"] = "XOR" }

-- The common type of integer operands a and b (the usual arithmetic
-- conversions).
local function common(a, b)
  if not types.is_integer(a.type) or not types.is_integer(b.type) then
    refuse()
  end
  local t = eval.common(a, b)
  if t.kind == "float" then
    refuse()
  end
  return t
end

-- As eval's compare: a pointer on either side compares unsigned 64-bit
-- words, else both operands converted to their common type.
local function compare(op, a, b)
  local steps
  local signed = false
  if is_pointer(a) or is_pointer(b) then
    local ka, kb = kind_of(a), kind_of(b)
    if ka == "float" or kb == "float" then
      refuse()
    end
    steps = join(value_steps(a), value_steps(b))
  else
    local t = common(a, b)
    signed = t.signed == true
    steps = join(converted(t, a), converted(t, b))
  end
  steps[#steps + 1] = step(comparisons[op], { signed = signed })
  return node(types.builtin.int, steps)
end

local function shift(op, a, b)
  local t = promoted(a)
  if not types.is_integer(b.type) then
    refuse()
  end
  local size, signed = integer_shape(t)
  return node(t, join(converted(t, a), value_steps(b), {
    step(op == "<<" and "SHIFT_LEFT" or "SHIFT_RIGHT",
         { size = size, signed = signed }) }))
end

local function arithmetic(op, a, b)
  local t = common(a, b)
  local _, signed = integer_shape(t)
  local steps = join(converted(t, a), converted(t, b), {
    step(arithmetic_ops[op], { signed = signed }) })
  return converted(t, node(t, steps))
end

L.binary = function(tree, ctx)
  local op = tree.operator
  local a, b = lowered(tree.left, ctx), lowered(tree.right, ctx)
  if comparisons[op] then
    return compare(op, a, b)
  elseif (op == "+" or op == "-") and (is_pointer(a) or is_pointer(b)) then
    if is_pointer(a) and is_pointer(b) or op == "-" and is_pointer(b) then
      refuse() -- a pointer difference floors; left to Lua
    end
    local p, i = a, b
    if is_pointer(b) then
      p, i = b, a
    end
    local t, steps = moved(p, i, op == "+" and "ADD" or "SUBTRACT")
    return node(t, steps)
  elseif op == "<<" or op == ">>" then
    return shift(op, a, b)
  elseif arithmetic_ops[op] then
    return arithmetic(op, a, b)
  end
  refuse()
end

L.logical = function(tree, ctx)
  local left = join(rvalue(lowered(tree.left, ctx)))
  local right = join(rvalue(lowered(tree.right, ctx)), { step("TRUTH") })
  left[#left + 1] = step(tree.operator == "&&" and "AND_THEN" or "OR_ELSE",
                         { operand = #right })
  return node(types.builtin.int, join(left, right))
end

L.cond = function(tree, ctx)
  local test = join(rvalue(lowered(tree.test, ctx)))
  local yes, no = rvalue(lowered(tree.yes, ctx)), rvalue(lowered(tree.no, ctx))
  if yes.type ~= no.type or kind_of(lowered(tree.yes, ctx)) == "array" then
    refuse() -- the general evaluator's result type depends on the test
  end
  local yes_steps = join(yes, { step("JUMP", { operand = #no.steps }) })
  test[#test + 1] = step("JUMP_IF_ZERO", { operand = #yes_steps })
  return node(yes.type, join(test, yes_steps, no))
end

--- Lowers tree (from snare.expr.parser) for the site of condition frame
-- `frame` in environment env: a program for frame:native_condition
-- (its steps, and `names`: the locals it reads), or nil and why not.
function lower.condition(tree, env, frame)
  if not frame.native_condition then
    return nil, "not a condition's frame"
  end
  local ctx = { env = env, frame = frame, names = {}, name_list = {} }
  local ok, d = pcall(function() return rvalue(lowered(tree, ctx)) end)
  if not ok then
    return nil, d == refused and "not lowered" or tostring(d)
  end
  local program = join(d)
  if #program > 48 then
    return nil, "too many steps"
  end
  program.names = ctx.name_list
  return program
end

return lower
