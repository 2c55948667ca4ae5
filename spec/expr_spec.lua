-- expr_spec.lua - C expressions and gdb's value printing at the prompt
-- (`snare debug` through a pipe) and through frame:eval, over
-- spec/fixtures/expressions.c. The expected texts are gdb 13's for the
-- same expressions at the same stop (addresses as patterns).
local helpers = require "spec.helpers"
local snare = require "snare"

local lib_path = helpers.fixture("expressions")

local shell_quote = helpers.quote

-- Runs `snare debug` over the fixture with lines as its input; returns
-- what it printed (stdout and stderr).
local function debug(lines)
  local input = os.tmpname()
  local f = assert(io.open(input, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  local pipe = assert(io.popen(string.format("bin/snare debug %s < %s 2>&1",
                                             shell_quote(lib_path),
                                             shell_quote(input))))
  local out = pipe:read("a")
  pipe:close()
  os.remove(input)
  return out
end

-- "A, A+1, ..., B"
local function seq(a, b)
  local t = {}
  for i = a, b do
    t[#t + 1] = tostring(i)
  end
  return table.concat(t, ", ")
end

-- Each expression printed at the stop in expr_stop, with gdb's text
-- (ADDR where an address appears).
local cases = {
  { "shape", "(struct shape *) ADDR" },
  { "*shape", "{corner = {x = 3, y = 4}, color = GREEN, sides = 4, "
    .. "scale = 1.5, ratio = 2.25, label = ADDR \"square\", "
    .. "weights = {7, 8, 9}, tag = \"tag\\000\\000\\000\\000\", "
    .. "grid = {{1, 2, 3}, {4, 5, 6}}, op = ADDR <expr_fib>, "
    .. "bits = {word = 67305985, bytes = \"\\001\\002\\003\\004\"}, "
    .. "fl = {a = 5, b = -3, c = 1, d = 9}, ok = true, sh = -2, "
    .. "uc = 200 '\\310', sc = -5 '\\373', ll = 1234567890123}" },
  { "shape->label", "ADDR \"square\"" },
  { "&shape->corner", "(struct point *) ADDR" },
  { "shape->corner", "{x = 3, y = 4}" },
  { "shape->color", "GREEN" },
  { "shape->weights", "{7, 8, 9}" },
  { "shape->grid[1]", "{4, 5, 6}" },
  { "shape->grid[1][2]", "6" },
  { "shape->op", "(int (*)(int)) ADDR <expr_fib>" },
  { "shape->fl.b", "-3" },
  { "shape->ratio", "2.25" },
  { "*list", "{len = 6, name = ADDR \"hammer\", next = ADDR}" },
  { "list->next->next->len", "1" },
  { "list->next->name", "ADDR \"anvil\"" },
  { "c", "97 'a'" },
  { "n * 2 + 1", "11" },
  { "expr_counter", "42" },
  { "expr_hidden", "7" },
  { "expr_buf", "\"hello\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\"" },
  { "expr_zeros", "{0 <repeats 20 times>}" },
  -- a run counts as 10 elements towards the 200 shown, is never cut
  { "expr_runs", "{9 <repeats 50 times>, " .. seq(50, 99)
    .. ", 0 <repeats 250 times>, " .. seq(350, 479) .. "...}" },
  { "*&expr_runs[100]@250", "{0 <repeats 250 times>}" },
  { "expr_blank", "'\\000' <repeats 299 times>" },
  { "expr_fib", "{int (int)} ADDR <expr_fib>" },
  { "&expr_fib", "(int (*)(int)) ADDR <expr_fib>" },
  { "&expr_buf[1]", "ADDR <expr_buf+1> \"ello\"" },
  { "&expr_buf", "(char (*)[16]) ADDR <expr_buf>" },
  { "sizeof(struct shape)", "136" },
  { "sizeof shape->weights", "12" },
  { "'a'", "97 'a'" },
  { "\"abc\"", "\"abc\"" },
  { "10/3", "3" },
  { "-5 % 3", "-2" },
  { "10.0/3", "3.3333333333333335" },
  { "(float)1/3", "0.333333343" },
  { "1u - 2", "4294967295" },
  { "2147483647 + 1", "-2147483648" },
  { "4294967296", "4294967296" },
  { "(char)65", "65 'A'" },
  { "(unsigned char)200", "200 '\\310'" },
  { "BLUE", "BLUE" },
  { "(enum color)1", "1" },
  { "*list->name@3", "\"ham\"" },
  { "*shape->weights@2", "{7, 8}" },
  { "&shape->weights", "(int (*)[3]) ADDR" },
  { "shape->label + 1", "ADDR \"quare\"" },
  { "&shape->weights[2] - &shape->weights[0]", "2" },
  { "list->len > 3 && list->name[0] == 'h'", "1" },
  { "!list || list->len == 7", "0" },
  { "(counter_t)3", "3" },
  { "(struct item *)0", "(struct item *) 0x0" },
  { "expr_fib(6)", "8" },
  { "expr_strlen(list->name)", "6" },
  { "1 ? 2 : 3", "2" },
  { "1.0/0", "inf" },
  { "0.1", "0.10000000000000001" },
  { "expr_modes", "(MODE_READ | MODE_EXEC)" },
  { "expr_odd_mode", "(MODE_WRITE | unknown: 0x10)" },
  { "(enum mode)0", "0" },
}

describe("C expressions", function()
  it("print as gdb prints them, at a stop of a library's call", function()
    local lines = { "break expr_stop", "call expr_entry(5)" }
    for _, case in ipairs(cases) do
      lines[#lines + 1] = "print " .. case[1]
    end
    local out = debug(lines)
    assert.matches("expr_stop %(shape=0x%x+, list=0x%x+, n=5, c=97 'a'%) "
                   .. "at ../spec/fixtures/expressions.c:%d+\n", out)
    local mismatches = {}
    for i, case in ipairs(cases) do
      local line = out:match("\n%$" .. i .. " = ([^\n]*)")
      local pattern = case[2]:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
                             :gsub("ADDR", "0x%%x+")
      if not line or not line:match("^" .. pattern .. "$") then
        mismatches[#mismatches + 1] = string.format("%s: %s", case[1],
                                                    tostring(line))
      end
    end
    assert.same({}, mismatches)
  end)

  it("print/F, history, assignments and errors", function()
    local out = debug {
      "break expr_stop",
      "call expr_entry(5)",
      "print/x -1",
      "print/x shape->corner",
      "print/d 'a'",
      "print/c 65",
      "print/t 10",
      "print $2",
      "print $$1",
      "print $",
      "set var expr_counter = 17",
      "print expr_counter",
      "set var list->len = 9",
      "print list->len",
      "print expr_counter++",
      "print expr_counter",
      "set var shape->fl.b = -7",
      "print shape->fl",
      "print $rip",
      "print nosuch",
      "print 1 +",
      "print shape->nosuch",
      "output shape->corner",
    }
    assert.matches("$1 = 0xffffffff\n", out, 1, true)
    assert.matches("$2 = {x = 0x3, y = 0x4}\n", out, 1, true)
    assert.matches("$3 = 97\n", out, 1, true)
    assert.matches("$4 = 65 'A'\n", out, 1, true)
    assert.matches("$5 = 1010\n", out, 1, true)
    assert.matches("$6 = {x = 3, y = 4}\n", out, 1, true)
    assert.matches("$7 = 10\n", out, 1, true) -- $$1: $5
    assert.matches("$8 = 10\n", out, 1, true)
    assert.matches("$9 = 17\n$10 = 9\n$11 = 17\n$12 = 18\n", out, 1, true)
    assert.matches("$13 = {a = 5, b = -7, c = 1, d = 9}\n", out, 1, true)
    assert.matches("$14 = %(void %(%*%)%(%)%) 0x%x+ <expr_stop%+%d+>\n", out)
    assert.matches('No symbol "nosuch" in current context.', out, 1, true)
    assert.matches("A syntax error in expression, near `'.", out, 1, true)
    assert.matches("There is no member named nosuch.", out, 1, true)
    assert.matches("{x = 3, y = 4}$", out)
  end)

  it("ptype, whatis and set print pretty as gdb's", function()
    local out = debug {
      "break expr_stop",
      "call expr_entry(5)",
      "ptype list",
      "whatis counter_t",
      "ptype counter_t *",
      "whatis list->next",
      "ptype shape->op",
      "ptype expr_entry",
      "ptype shape->fl",
      "ptype enum color",
      "whatis &shape->weights",
      "set print pretty on",
      "print *list",
      "print shape->bits",
    }
    local expected = {
      "type = struct item {\n    int len;\n    const char *name;\n"
        .. "    struct item *next;\n} *\n",
      "type = unsigned long\ntype = unsigned long *\n"
        .. "type = struct item *\ntype = int (*)(int)\ntype = int (int)\n",
      "type = struct flags {\n    unsigned int a : 3;\n    int b : 5;\n"
        .. "    unsigned int c : 1;\n    int d;\n}\n",
      "type = enum color {RED, GREEN = 5, BLUE}\ntype = int (*)[3]\n",
      "$2 = {\n  word = 67305985,\n  bytes = \"\\001\\002\\003\\004\"\n}\n",
    }
    for _, text in ipairs(expected) do
      assert.matches(text, out, 1, true)
    end
    assert.matches("$1 = {\n  len = 6,\n  name = 0x%x+ \"hammer\",\n"
                   .. "  next = 0x%x+\n}\n", out)
  end)

  it("pretty arrays of structs, anonymous members, libc calls, $_", function()
    local out = debug {
      "break expr_stop",
      "call expr_entry(5)",
      "ptype expr_poly",
      "print expr_poly",
      "print expr_poly.anon.u",
      "print strlen(list->name)",
      "print (int) strlen(list->name)",
      "x/2dw shape->weights",
      "print $_",
      "print *$_",
      "set print pretty on",
      "print expr_poly",
    }
    assert.matches("type = struct poly {\n    int n;\n    struct point pts[2];\n"
                   .. "    struct {\n        int a;\n        union {...};\n"
                   .. "    } anon;\n}\n", out, 1, true)
    assert.matches("$1 = {n = 2, pts = {{x = 1, y = 2}, {x = 3, y = 4}}, "
                   .. "anon = {a = 5, {u = 6, f = 8.40779079e-45}}}\n", out,
                   1, true)
    assert.matches("$2 = 6\n", out, 1, true)
    assert.matches("'strlen' has unknown return type; cast the call to its "
                   .. "declared return type", out, 1, true)
    assert.matches("$3 = 6\n", out, 1, true)
    -- (gdb types x/w units int32_t)
    assert.matches("%$4 = %(int32_t %*%) 0x%x+\n%$5 = 8\n", out)
    assert.matches("$6 = {\n  n = 2,\n  pts = {{\n      x = 1,\n      y = 2\n"
                   .. "    }, {\n      x = 3,\n      y = 4\n    }},\n  anon = {\n"
                   .. "    a = 5,\n    {\n      u = 6,\n      f = 8.40779079e-45\n"
                   .. "    }\n  }\n}\n", out, 1, true)
  end)

  it("conditions in C, compiled once, decide at each hit", function()
    local out = debug {
      "break expr_visit if p->len > 3 && name[0] == 'a'",
      "info breakpoints",
      "call expr_entry(5)",
      "print p->len",
      "continue",
    }
    assert.matches("\tstop only if p->len > 3 && name[0] == 'a'", out, 1,
                   true)
    -- of hammer (6), anvil (5) and axe (1) only anvil passes
    assert.matches("Breakpoint 1, expr_visit %(p=0x%x+, name=0x%x+ "
                   .. "\"anvil\"%)", out)
    assert.matches("$1 = 5\n", out, 1, true)
    local _, hits = out:gsub("Breakpoint 1, ", "")
    assert.equal(1, hits)
  end)

  it("frame:eval from Lua, in a stack frame and in a condition", function()
    local lib = assert(snare.load(lib_path))
    local s <close> = snare.session()
    local names = {}
    s:breakpoint("expr_visit", { condition = function(frame)
      names[#names + 1] = select(2, frame:eval("name"))
      return frame:eval("p->next == 0") == 1
    end })
    local stop = s:call("expr_entry", 5)
    assert.equal("breakpoint", stop.kind)
    assert.equal(3, #names)
    assert.matches('^0x%x+ "axe"$', names[3])
    local frame = s:frame(0)
    assert.equal(1, frame:eval("p->len"))
    assert.same({ len = 1, name = frame:eval("p->name"), next = 0 },
                (frame:eval("*p")))
    assert.equal(6, s:frame(1):eval("first.len"))
    assert.has_error(function() frame:eval("nosuch + 1") end,
                     'eval: No symbol "nosuch" in current context.')
    s:abort()
    lib:close()
  end)
end)
