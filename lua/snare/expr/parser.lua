--- C expressions as gdb reads them, parsed with LPeg into a tree.
--
-- Nodes are tables with `op`: "int" (`value`, `suffix`), "float"
-- (`value`, `single`), "char" (`value`), "string" (`value`), "id"
-- (`name`), "scope" (`scope`, nil for `::x`, and `name`: gdb's
-- 'file.c'::x), "dollar" (`name`: "rax", "1", "", "$", "$2", "_"...),
-- "member" (`object`, `name`, `arrow`), "index" (`object`, `index`),
-- "call" (`fn`, `args`), "unary" (`operator`, `operand`), "cast"
-- (`type`, `operand`), "sizeof" (`type` or `operand`), "binary"
-- (`operator`, `left`, `right`), "logical" (&&, ||), "cond"
-- (`test`, `yes`, `no`), "assign" (`operator` "=" or "+=", ...,
-- `target`, `value`), "comma". A type name is `{base = words, stars =
-- n}` (`words`: "int", "unsigned long", "struct node", "node_t").
-- @module snare.expr.parser

local lpeg = require "lpeg"

local P, R, S, V, C, Ct, Cc, Cmt, Cf, Cg =
  lpeg.P, lpeg.R, lpeg.S, lpeg.V, lpeg.C, lpeg.Ct, lpeg.Cc, lpeg.Cmt,
  lpeg.Cf, lpeg.Cg

local parser = {}

-- Whether a name is a type (a typedef): asked while parsing, since C's
-- grammar depends on it ("(t) - 1" is a cast only if t names a type).
local is_typedef = function() return false end

local space = S " \t\r\n" ^ 0
-- The farthest a token reached: where a syntax error is reported.
local farthest = 1
local reached = Cmt(P(true), function(_, i)
  if i > farthest then farthest = i end
  return i
end)
local function token(p) return p * space * reached end
local function sym(text) return token(P(text)) end

local alpha = R("az", "AZ") + P "_"
local alnum = alpha + R "09"
local keywords = {
  sizeof = true, struct = true, union = true, enum = true, unsigned = true,
  signed = true, int = true, char = true, short = true, long = true,
  float = true, double = true, void = true, const = true, volatile = true,
}
local word = C(alpha * alnum ^ 0) * -alnum
local function keyword(text) return token(P(text) * -alnum) end
local identifier = token(Cmt(word, function(_, i, name)
  if not keywords[name] then
    return i, name
  end
end))

local qualified = token(C(alpha * alnum ^ 0 * (P "::" * alpha * alnum ^ 0) ^ 1)
                        * -alnum)

-- Numbers: decimal, hex, octal, binary; suffixes u, l, ul, ll, ull.
local hex_digits = R("09", "af", "AF") ^ 1
local int_suffix = C(S "uUlL" ^ -3)
local int_literal = token((P "0" * S "xX" * C(hex_digits) * Cc(16)
  + P "0" * S "bB" * C(S "01" ^ 1) * Cc(2)
  + C(P "0" * R "09" ^ 1) * Cc(8)
  + C(R "09" ^ 1) * Cc(10)) * int_suffix * -(alnum + P ".")) / function(
    digits, base, suffix)
  if base == 8 and digits:find("[89]") then -- gdb's error, as C's
    error(string.format('Invalid number "%s".', digits .. suffix), 0)
  end
  local value = 0
  for d in digits:gmatch(".") do
    value = value * base + tonumber(d, 16) -- wraps at 64 bits, as C
  end
  return { op = "int", value = value, suffix = suffix:lower() }
end

local exponent = S "eE" * S "+-" ^ -1 * R "09" ^ 1
local float_literal = token(C((R "09" ^ 1 * P "." * R "09" ^ 0
  + P "." * R "09" ^ 1) * exponent ^ -1 + R "09" ^ 1 * exponent)
  * C(S "fFlL" ^ -1)) / function(text, suffix)
  return { op = "float", value = tonumber(text),
           single = suffix == "f" or suffix == "F" }
end

local escapes = { n = "\n", t = "\t", r = "\r", a = "\a", b = "\b",
                  f = "\f", v = "\v", e = "\27", ["\\"] = "\\",
                  ["'"] = "'", ['"'] = '"', ["?"] = "?" }
local escape = P "\\" * (C(S "ntrabfve\\'\"?") / escapes
  + C(R "07" * R "07" ^ -2) / function(d) return string.char(tonumber(d, 8) & 255) end
  + P "x" * C(hex_digits) / function(d) return string.char(tonumber(d, 16) & 255) end)
local char_literal = token(P "'" * (escape + C(1 - S "'\\")) * P "'") /
  function(c) return { op = "char", value = c:byte() } end
-- A name in single quotes, as gdb's lexer reads one of three characters
-- or more ('scale', 'file.c', 'printf@plt'): one or two are a bad
-- character constant.
local quoted_name = token(P "'" * Cmt(C((1 - S "'\n") ^ 0) * P "'",
  function(_, i, name)
    if #name == 0 then
      error("A character constant must contain at least one character.", 0)
    elseif #name < 3 then
      error("Invalid character constant.", 0)
    end
    return i, name
  end))
local string_part = token(P '"' * Cf(Cc "" * (escape + C(1 - S '"\\')) ^ 0,
  function(a, b) return a .. b end) * P '"')
local string_literal = Cf(string_part ^ 1, function(a, b) return a .. b end) /
  function(s) return { op = "string", value = s } end

-- $rax, $1, $, $$, $$3, $_, $foo
local dollar = token(P "$" * C(P "$" * R "09" ^ 0 + R "09" ^ 1
  + (alpha * alnum ^ 0) + P "")) / function(name)
  return { op = "dollar", name = name }
end

-- Type names: qualifiers, base type words, tags, typedef names; stars.
local qualifier = keyword "const" + keyword "volatile"
local base_word = C(P "unsigned" + P "signed" + P "int" + P "char"
  + P "short" + P "long" + P "float" + P "double" + P "void")
  * -alnum * space
local tagged = C((P "struct" + P "union" + P "enum") * -alnum) * space
  * identifier / function(tag, name) return tag .. " " .. name end
-- A C++ type's name in its namespaces and classes, with template
-- arguments: ns::K, ns::box<int>, ns::K::Inner.
local angle = P { "<" * ((1 - S "<>") + V(1)) ^ 0 * ">" }
local cxx_type_word = C(alpha * alnum ^ 0 * angle ^ -1
                        * (P "::" * alpha * alnum ^ 0 * angle ^ -1) ^ 0)
  * -alnum
local typedef_name = token(Cmt(cxx_type_word, function(_, i, name)
  if not keywords[name] and is_typedef(name) then
    return i, name
  end
end))
local base_words = Ct(base_word ^ 1) / function(words) return table.concat(words, " ") end
local type_name = P { "type_name", type_name = Ct(Cg(Ct(qualifier ^ 0), "prefix")
  * Cg(tagged + base_words + typedef_name, "base")
  * qualifier ^ 0 * Cg(Ct((sym "*" * Cc(true) * qualifier ^ 0) ^ 0), "stars")
  * (sym "(" * sym "*" * sym ")" * sym "(" * Cg(Ct((V "type_name"
       * (sym "," * V "type_name") ^ 0) ^ -1), "params") * sym ")") ^ -1)
  / function(t)
    t.stars = #t.stars
    t.prefix = nil
    return t
  end }

local function node(op, fields)
  fields.op = op
  return fields
end

-- Left-associative folds of "operand (operator operand)*".
local function binary(op_kind, operand, operators)
  return Cf(operand * Cg(C(operators) * space * reached * operand) ^ 0,
    function(left, operator, right)
      return node(op_kind, { operator = operator, left = left, right = right })
    end)
end

local function postfix(object, kind, a, b)
  if kind == "index" then
    return node("index", { object = object, index = a })
  elseif kind == "call" then
    return node("call", { fn = object, args = a })
  elseif kind == "member" then
    return node("member", { object = object, name = a, arrow = b })
  end
  return node("unary", { operator = kind, operand = object, post = true })
end

local grammar = P {
  "start",
  start = space * V "comma" * -1,
  type_name = type_name,
  comma = Cf(V "assign" * Cg(Cc "," * sym "," * V "assign") ^ 0,
    function(left, _, right)
      return node("comma", { left = left, right = right })
    end),
  assign = (V "unary" * C(P "=" * -P "=" + S "+-*/%&|^" * P "=" + P "<<="
      + P ">>=") * space * V "assign") / function(target, operator, value)
      return node("assign", { target = target, operator = operator,
                              value = value })
    end + V "cond",
  cond = (V "lor" * sym "?" * V "comma" * sym ":" * V "cond") /
    function(test, yes, no) return node("cond", { test = test, yes = yes, no = no }) end
    + V "lor",
  lor = binary("logical", V "land", P "||"),
  land = binary("logical", V "bor", P "&&"),
  bor = binary("binary", V "bxor", P "|" * -S "|="),
  bxor = binary("binary", V "band", P "^" * -P "="),
  band = binary("binary", V "equality", P "&" * -S "&="),
  equality = binary("binary", V "relational", P "==" + P "!="),
  relational = binary("binary", V "shift", P "<=" + P ">=" + P "<" * -S "<="
    + P ">" * -S ">="),
  shift = binary("binary", V "repeat", (P "<<" + P ">>") * -P "="),
  ["repeat"] = binary("binary", V "additive", P "@"), -- gdb's x@n
  additive = binary("binary", V "multiplicative", S "+-" * -S "+-="),
  multiplicative = binary("binary", V "unary", S "*/%" * -P "="),
  unary = (sym "(" * V "type_name" * sym ")" * V "unary") / function(t, e)
      return node("cast", { type = t, operand = e })
    end
    + keyword "sizeof" * (sym "(" * V "type_name" * sym ")" / function(t)
        return node("sizeof", { type = t })
      end + V "unary" / function(e) return node("sizeof", { operand = e }) end)
    + (C(P "++" + P "--") * space * V "unary") / function(o, e)
      return node("unary", { operator = o, operand = e })
    end
    + (C(S "-+!~*&") * space * V "unary") / function(o, e)
      return node("unary", { operator = o, operand = e })
    end
    + V "postfix",
  postfix = Cf(V "primary" * Cg(
      sym "[" * Cc "index" * V "comma" * sym "]"
      + sym "(" * Cc "call" * Ct((V "assign" * (sym "," * V "assign") ^ 0) ^ -1)
        * sym ")"
      + sym "->" * Cc "member" * identifier * Cc(true)
      + sym "." * Cc "member" * identifier * Cc(false)
      + C(P "++" + P "--") * space) ^ 0, postfix),
  primary = float_literal + int_literal + char_literal + string_literal
    + dollar
    -- gdb's block::name: 'file.c'::x, 'func'::x, func::x, ::x
    + ((quoted_name + identifier) ^ -1 * sym "::" * identifier * -P "::") /
      function(scope, name)
        if name == nil then
          scope, name = nil, scope
        end
        return node("scope", { scope = scope, name = name })
      end
    + quoted_name / function(name) return node("id", { name = name }) end
    -- gdb's x@entry: parameter x at its function's entry (before the
    -- binary x@n, as gdb's lexer takes "@entry" as one token).
    + identifier * P "@entry" * -alnum * space / function(name)
      return node("id", { name = name .. "@entry" })
    end
    -- a C++ name in its namespaces and classes: ns::K::count (ns::twice
    -- is a scope node, which takes C++ names too)
    + qualified / function(name) return node("id", { name = name }) end
    + identifier / function(name) return node("id", { name = name }) end
    + sym "(" * V "comma" * sym ")",
}

--- Parses `text`; `typedef(name)` says whether a name is a type. Returns
-- the tree, or nil, gdb's message ("A syntax error in expression, near
-- `...'.") and the position of the error in text.
function parser.parse(text, typedef)
  is_typedef = typedef or function() return false end
  farthest = 1
  local ok, tree = pcall(lpeg.match, grammar, text)
  is_typedef = function() return false end
  if not ok then
    error(tree, 0)
  end
  if tree then
    return tree
  end
  local rest = text:sub(farthest)
  if rest:match('^"') then -- what gdb's lexer says of these
    return nil, "Unterminated string in expression."
  elseif rest:match("^'") then
    return nil, "Unmatched single quote."
  end
  return nil, string.format("A syntax error in expression, near `%s'.",
                            rest), farthest
end

--- Parses a type name alone ("struct node *", "unsigned long"), or nil.
function parser.parse_type(text, typedef)
  is_typedef = typedef or function() return false end
  local ok, t = pcall(lpeg.match, space * type_name * -1, text)
  is_typedef = function() return false end
  return ok and t or nil
end

return parser
