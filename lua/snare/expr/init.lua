--- C expressions over DWARF types: parse once, evaluate many times,
-- print as gdb prints.
--
--    local expr = require "snare.expr"
--    local e = expr.env { frame = function() return frame end }
--    local f = expr.compile("p->len > 3 && name[0] == 'a'", e)
--    if expr.truth(f()) then ... end
--    print(expr.format(expr.evaluate("*item", e)))
--
-- See snare.expr.env for what an environment answers, snare.expr.value
-- for values and snare.expr.format for their text.
-- @module snare.expr

local env = require "snare.expr.env"
local eval = require "snare.expr.eval"
local format = require "snare.expr.format"
local lower = require "snare.expr.lower"
local parser = require "snare.expr.parser"
local specialise = require "snare.expr.specialise"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local vector = require "snare.expr.vector"

local expr = {
  env = env.new,
  types = types,
  value = value,
  truth = eval.truth,
  eval_decay = eval.decay,
  format_argument = format.argument,
  format_string = format.string_text,
  format_integer = format.integer_in,
  format_eflags = format.eflags,
  format_mxcsr_names = format.mxcsr_names,
  vector = vector,
}

-- The words of C that are no names.
local c_words = {}
for word in ([[sizeof struct union enum unsigned signed int char short long
               float double void const volatile]]):gmatch("%S+") do
  c_words[word] = true
end

-- Whether `name` means something in e (an error looking it up counts).
local function names_something(e, name)
  local ok, found = pcall(function()
    return e:variable(name) or e:global(name) or e:enumerator(name)
      or e:symbol(name) or e:is_typedef(name)
  end)
  return not ok or found
end

-- gdb's error for the first name of text[1, upto) that names nothing in
-- e, or nil: gdb's parser looks each name up as it reads it, so such a
-- name before a syntax error is what gdb reports (`p (nosuch_t)x`: No
-- symbol "nosuch_t"; `(struct nosuch *)p x`: No struct type named
-- nosuch). Not members (after . or ->), $names, the insides of literals.
local function unknown_before(text, upto, e)
  local prefix = text:sub(1, upto - 1):gsub('"[^"]*"', '""')
    :gsub("'[^']*'", "''")
  for at, name in prefix:gmatch("()%f[%w_]([%a_][%w_]*)") do
    local before = prefix:sub(1, at - 1)
    local tag = before:match("%f[%w_](%a+)%s+$")
    if tag == "struct" or tag == "union" or tag == "enum" then
      local ok, t = pcall(e.type, e, tag .. " " .. name)
      if ok and not t then
        return string.format("No %s type named %s.", tag, name)
      end
    elseif not c_words[name] and not before:match("[%.%$]%s*$")
       and not before:match("%->%s*$") and not names_something(e, name) then
      return string.format('No symbol "%s" in current context.', name)
    end
  end
end

local function parse(text, e)
  local tree, err, at = parser.parse(text, function(name)
    return e:is_typedef(name)
  end)
  if not tree then
    error(at and unknown_before(text, at, e) or err, 0)
  end
  return tree
end

--- Compiles C expression `text` in environment e: a function that
-- returns its value (a snare.expr.value) each time it is called. Raises
-- gdb's syntax error.
function expr.compile(text, e)
  return eval.compile(parse(text, e), e)
end

-- Calls fn(name) for each identifier of a parsed tree, in order, until
-- one returns true; returns that name.
local function each_identifier(node, fn)
  if node.op == "id" and fn(node.name) then
    return node.name
  end
  for _, child in pairs(node) do
    if type(child) == "table" then
      local found = each_identifier(child, fn)
      if found then
        return found
      end
    end
  end
end

-- Resolves every type named in a cast or sizeof under `node` in e.
local function resolve_types(node, e)
  if (node.op == "cast" or node.op == "sizeof") and node.type then
    eval.type(e, node.type)
  end
  for _, child in pairs(node) do
    if type(child) == "table" then
      resolve_types(child, e)
    end
  end
end

--- The first identifier of C expression `text` that names nothing where
-- a breakpoint is set, as gdb checks a condition when it is given (No
-- symbol "x" in current context.): `visible(name)` says whether a local
-- or parameter of that name is in scope there; a global, static,
-- enumerator or symbol of environment e answers too. Nil when every
-- name resolves. Raises gdb's syntax error, and its error for a type
-- that names nothing ("No struct type named nosuch."), which gdb's
-- parser gives at once; a member is only looked up at a hit.
function expr.unknown_name(text, e, visible)
  local tree = parse(text, e)
  resolve_types(tree, e)
  return each_identifier(tree, function(name)
    name = name:gsub("@entry$", "")
    return not (visible(name) or e:global(name) or e:enumerator(name)
                or e:symbol(name))
  end)
end

--- A breakpoint condition written in C, compiled once: a predicate of a
-- condition's frame (the expression's C truth there). Environment e
-- reads its frame from `holder.frame`. At the first hit at each pc the
-- expression is compiled for that site (snare.expr.specialise: plain
-- Lua over the breakpoint's compiled reads); where that cannot express
-- it, every hit there runs the general evaluator. `one_site`: the
-- predicate serves a breakpoint of one address, so it is compiled at
-- the first hit and no hit asks its pc (frame.pc costs as much as the
-- compiled condition). `native`: the predicate's false is its
-- breakpoint's (it is the condition, or all of the condition's false
-- hits), so at that first hit the expression is also lowered for the
-- site (snare.expr.lower) where it can be and given to the breakpoint,
-- whose later false hits the core then rejects without Lua. Returns the
-- predicate and the general compiled expression.
function expr.condition(text, e, holder, one_site, native)
  local tree = parse(text, e)
  local general = eval.compile(tree, e)
  local function general_truth()
    return eval.truth(general())
  end
  local function in_frame(frame, f)
    local previous = holder.frame
    holder.frame = frame
    local ok, v = pcall(f)
    holder.frame = previous
    if not ok then
      error(v, 0)
    end
    return v
  end
  local function fallback_truth(frame)
    return in_frame(frame, general_truth)
  end
  local function fallback_number(frame)
    return in_frame(frame, function() return value.number(general()) end)
  end
  local function compile_for(frame)
    local compiled = in_frame(frame, function()
      return table.pack(specialise.compile(tree, e, frame, fallback_number,
                                           fallback_truth))
    end)
    if native then
      local program = in_frame(frame, function()
        return lower.condition(tree, e, frame)
      end)
      if program then -- (a site of a watchpoint, or given one: no matter)
        frame:native_condition(program)
      end
    end
    return compiled[1] and compiled[2] or fallback_truth
  end
  if one_site then
    local test
    return function(frame)
      if not test then
        test = compile_for(frame)
      end
      return test(frame)
    end, general
  end
  local by_pc = {}
  return function(frame)
    local pc = frame.pc
    local test = by_pc[pc]
    if not test then
      test = compile_for(frame)
      by_pc[pc] = test
    end
    return test(frame)
  end, general
end

--- Compiles `text` for the site of condition frame `frame` as a
-- condition's hits run it (snare.expr.specialise): a function of a frame
-- there returning the expression's value and one returning its C truth,
-- or nil and why it stays with the general evaluator. Environment e
-- reads its frame from `holder.frame`.
function expr.specialised(text, e, holder, frame)
  local tree = parse(text, e)
  local previous = holder.frame
  holder.frame = frame
  local ok, get, test, t = pcall(specialise.compile, tree, e, frame,
                              function() error("compiled read refused", 0) end,
                              function() error("compiled read refused", 0) end)
  holder.frame = previous
  if not ok then
    error(get, 0)
  elseif not get then
    return nil, test
  end
  return function(f)
    return value.of(t, get(f))
  end, test
end

--- Evaluates `text` once.
function expr.evaluate(text, e)
  return expr.compile(text, e)()
end

--- A parsed type name ("struct node *") as a type, or nil.
function expr.type(text, e)
  local t = parser.parse_type(text, function(name) return e:is_typedef(name) end)
  return t and eval.type(e, t) or nil
end

--- The text of a value as gdb's print shows it (opts: `format`, `pretty`).
expr.format = format.value
expr.located = env.located

--- A value as a Lua value: numbers for scalars, the string for a char
-- array or char pointer, tables for structs (by member name) and
-- arrays (from 1).
function expr.lua_value(v)
  local t = types.strip(v.type)
  if t.kind == "struct" or t.kind == "union" then
    local out = {}
    for _, m in ipairs(t.members or {}) do
      if m.name then
        out[m.name] = expr.lua_value(eval.member(v, m.name, false))
      end
    end
    return out
  elseif t.kind == "array" then
    local out = {}
    for i = 0, (t.count or 0) - 1 do
      out[i + 1] = expr.lua_value(eval.index(v, value.of(types.builtin.int, i)))
    end
    return out
  elseif t.kind == "void" or v.synthetic then -- a synthetic pointer: none
    return nil
  end
  return value.number(v)
end

-- frame:eval's compiled expressions by text, over one environment whose
-- frame is the one asked.
local frame_env, in_view
local compiled = setmetatable({}, { __mode = "v" })

--- The value (a snare.expr value) of C expression `text` in a frame.
function expr.frame_value(frame, text)
  if not frame_env then
    frame_env = env.new {
      frame = function() return in_view end,
      register = function(name)
        if in_view.reg then
          return in_view:reg(name)
        elseif name == "rip" then
          return in_view.pc
        elseif name == "rsp" then
          return in_view.sp
        end
        error("No registers.", 0)
      end,
    }
  end
  local f = compiled[text]
  if not f then
    f = expr.compile(text, frame_env)
    compiled[text] = f
  end
  local previous = in_view
  in_view = frame
  local ok, v = pcall(f)
  in_view = previous
  if not ok then
    error(v, 0)
  end
  return v
end

--- `frame:eval(text)`: the Lua value and gdb's text of C expression
-- `text` in a frame (a stack frame or a condition's frame).
function expr.frame_eval(frame, text)
  if type(frame) ~= "userdata" then
    error(string.format("eval: a frame expected (frame:eval(text)), got %s",
                        type(frame)), 2)
  end
  if type(text) ~= "string" then
    error(string.format("bad argument #1 to 'eval' (string expected, got %s)",
                        type(text)), 2)
  end
  local ok, v = pcall(expr.frame_value, frame, text)
  if not ok then
    -- a core error raised inside the evaluator carries the evaluator's
    -- own position: the user's call is what failed
    error("eval: " .. tostring(v):gsub("^[^\n]-%.lua:%d+: ", ""), 2)
  end
  return expr.lua_value(v), format.value(v)
end

return expr
