-- cli_commands_spec.lua - gdb's commands around breakpoints and frames
-- at the `snare debug` prompt, with gdb's output: condition, ignore,
-- commands ... end, info args, info locals, display, and the batch mode
-- (-batch -ex CMD -x FILE, exit status 1 after a failed command).
local helpers = require "spec.helpers"

local lib_path = helpers.fixture("expressions")

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- `snare debug ARGS LIB` with lines on stdin: output and exit status.
local function debug(lines, args)
  local input = os.tmpname()
  local f = assert(io.open(input, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  local pipe = assert(io.popen(string.format(
    "bin/snare debug %s %s < %s 2>&1; echo \"exit=$?\"", args or "",
    shell_quote(lib_path), shell_quote(input))))
  local out = pipe:read("a")
  pipe:close()
  os.remove(input)
  return out:gsub("exit=%d+\n$", ""), tonumber(out:match("exit=(%d+)\n$"))
end

describe("snare debug commands", function()
  it("ignore, commands ... end, condition N, info breakpoints", function()
    local out = debug {
      "break expr_visit",
      "commands 1",
      "print p->len",
      "end",
      "ignore 1 1",
      "call expr_entry(5)",
      "condition 1 p->len == 1",
      "info breakpoints",
      "continue",
      "condition 1",
      "kill",
    }
    assert.matches("Will ignore next crossing of breakpoint 1.\n", out, 1,
                   true)
    -- hammer ignored: the first stop is anvil's, its commands print 5
    assert.matches("Breakpoint 1, expr_visit %(p=0x%x+, name=0x%x+ "
                   .. "\"anvil\"%) at ../spec/fixtures/expressions.c:%d+\n[^\n]*\n%$1 = 5\n",
                   out)
    assert.matches("\tstop only if p->len == 1\n\tbreakpoint already hit 2 "
                   .. "times\n        print p->len\n", out, 1, true)
    assert.matches("name=0x%x+ \"axe\"%) at ../spec/fixtures/expressions.c:%d+\n[^\n]*\n"
                   .. "%$2 = 1\n", out)
    assert.matches("Breakpoint 1 now unconditional.", out, 1, true)
  end)

  it("info args, info locals, display", function()
    local out = debug {
      "info args",
      "break expr_stop",
      "call expr_entry(5)",
      "info args",
      "info locals",
      "display n * 3",
      "display/x c",
      "info display",
      "undisplay 1",
      "tbreak expr_visit",
      "kill",
      "call expr_entry(2)",
      "up",
      "info locals",
      "kill",
    }
    assert.matches("No frame selected.", out, 1, true)
    assert.matches("shape = 0x%x+\nlist = 0x%x+\nn = 5\nc = 97 'a'\n", out)
    assert.matches("local = %-?%d+\n", out)
    assert.matches("1: n * 3 = 15\n2: /x c = 0x61\n", out, 1, true)
    assert.matches("Auto-display expressions now in effect:\nNum Enb "
                   .. "Expression\n1:   y  n * 3\n2:   y  /x c\n", out, 1, true)
    -- display 1 is gone; display 2 names no c in expr_visit: not shown
    assert.matches("expr_visit %(p=0x%x+, name=0x%x+ \"hammer\"%) at "
                   .. "../spec/fixtures/expressions.c:%d+\n[^\n]*\n#1 ", out)
    assert.matches("first = {len = 6, name = 0x%x+ \"hammer\", next = 0x%x+}",
                   out)
  end)

  it("info locals: a shadowed local with its own value, as gdb", function()
    local line
    local n = 0
    for text in io.lines("spec/fixtures/expressions.c") do
      n = n + 1
      if text:find("MARK: shadowed", 1, true) then line = n end
    end
    local out = debug { "break expressions.c:" .. line,
                        "call expr_shadowed(5)", "info locals", "kill" }
    assert.matches("\ndepth = 50\ndepth = 5\n", out)
  end)

  it("finish: every return class, and from a caller's frame", function()
    local lines = {}
    for _, fn in ipairs { "expr_ratio", "expr_third", "expr_pair", "expr_vec",
                          "expr_mixed", "expr_big" } do
      lines[#lines + 1] = "break " .. fn
    end
    lines[#lines + 1] = "call expr_returns(6)"
    for _ = 1, 6 do
      lines[#lines + 1] = "finish"
      lines[#lines + 1] = "continue"
    end
    for _, line in ipairs { "delete", "break expr_fib if n == 1",
                            "call expr_fib(4)", "bt", "frame 2", "delete",
                            "finish", "kill" } do
      lines[#lines + 1] = line
    end
    local out = debug(lines)
    local values = {}
    for v in out:gmatch("Value returned is %$%d+ = ([^\n]*)") do
      values[#values + 1] = v
    end
    assert.same({ "1.5", "2", "{a = 6, b = 12}", "{x = 3, y = -6}",
                  "{n = 6, d = 0.75}", "{v = {6, 7, 8, 9}}", "2" }, values)
    -- the backtrace ends at the function the prompt called
    assert.matches("#3  0x%x+ in expr_fib %(n=4%) at ../spec/fixtures/expressions.c:%d+\n#2 ",
                   out)
    assert.is_nil(out:find("?? ()", 1, true))
    assert.matches("Run till exit from #2  0x%x+ in expr_fib %(n=3%) at "
                   .. "../spec/fixtures/expressions.c:%d+\n0x%x+ in expr_fib %(n=4%)", out)
  end)

  it("rbreak, list FIRST,LAST, info sharedlibrary, file, a library named "
     .. "from here",
     function()
    local dir, name = lib_path:match("^(.*)/([^/]+)$")
    local pipe = assert(io.popen(string.format(
      "cd %s && printf 'rbreak ^expr_[rs]t\\ninfo sharedlibrary\\n"
      .. "list expr_fib,\\nlist 60,61\\nlist ,70\\nfile libexpressions.so\\n"
      .. "info sharedlibrary\\n' | %s/bin/snare debug "
      .. "%s 2>&1", shell_quote(dir), shell_quote(os.getenv("PWD")),
      shell_quote(name))))
    local out = pipe:read("a")
    pipe:close()
    -- (in gdb's order: by source file, then name)
    assert.matches("Breakpoint 1 at 0x%x+: file "
                   .. "../spec/fixtures/expressions.c, line %d+.\nint "
                   .. "expr_stop%(struct shape %*, struct item %*, int, "
                   .. "char%);\nBreakpoint 2 at 0x%x+: file "
                   .. "../spec/fixtures/expressions.c, line %d+.\nsize_t "
                   .. "expr_strlen%(const char %*%);\n", out)
    assert.matches("From                To                  Syms Read   "
                   .. "Shared Object Library\n0x%x+  0x%x+  Yes         "
                   .. "%./libexpressions.so\n", out)
    assert.matches("64\tFIXTURE int expr_fib%(int n%)\n", out)
    assert.matches("Reading symbols from libexpressions.so...\nFrom[^\n]*\n"
                   .. "0x%x+  0x%x+  Yes         %./libexpressions.so\n"
                   .. "0x%x+  0x%x+  Yes         %./libexpressions.so\n", out)
    -- 60,61 then ,70: the ten lines that end at 70
    assert.matches("\n60\tchar expr_buf%[16%] = \"hello\";\n61\tint "
                   .. "expr_zeros%[20%];\n61\t[^\n]*\n62\t", out)
    assert.matches("\n69\tFIXTURE size_t expr_strlen%(const char %*s%)\n"
                   .. "70\t{\nReading symbols", out)
  end)

  it("runs -ex and -x in batch mode; a failed command makes the status 1",
     function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write("print expr_counter\nprint sizeof(struct item)\n")
    f:close()
    local out, status = debug({}, "-batch -ex 'print 6 * 7' -x "
                              .. shell_quote(script))
    os.remove(script)
    assert.equal(0, status)
    assert.equal("$1 = 42\n$2 = 42\n$3 = 24\n", out)
    out, status = debug({}, "-batch -ex 'print nosuch' -ex 'print 1'")
    assert.equal(1, status)
    assert.matches('No symbol "nosuch" in current context.\n', out, 1, true)
    assert.matches("$1 = 1\n", out, 1, true)
    -- piped, not batch: errors are shown and the status stays 0
    out, status = debug({ "print nosuch" })
    assert.equal(0, status)
    assert.matches('No symbol "nosuch" in current context.\n', out, 1, true)
  end)
end)

describe("prompt completion", function()
  local Debugger = require "snare.cli.debugger"
  local complete = require "snare.cli.complete"
  local dbg

  setup(function() dbg = assert(Debugger.new { libraries = { lib_path } }) end)
  teardown(function() dbg:close() end)

  it("completes commands, info subcommands, symbols and files", function()
    assert.same({ "disable", "disassemble", "display" },
                complete.candidates(dbg, "dis", "dis"))
    assert.same({ "sharedlibrary" }, complete.candidates(dbg, "info sh", "sh"))
    assert.same({ "expr_stop", "expr_strlen" },
                complete.candidates(dbg, "break expr_st", "expr_st"))
    assert.same({ "expr_fib" }, complete.candidates(dbg, "print 1 + expr_f",
                                                    "expr_f"))
    local dir = lib_path:match("^(.*/)")
    assert.same({ lib_path }, complete.candidates(dbg, "file " .. dir
                                                  .. "libexpressions",
                                                  dir .. "libexpressions"))
  end)
end)

describe("s:backtrace()", function()
  it("ends at the function the session called", function()
    local snare = require "snare"
    local lib <close> = assert(snare.load(lib_path))
    local s <close> = snare.session()
    s:breakpoint("expr_fib", { condition = function(f)
      return f:var("n") == 1
    end })
    assert.equal("breakpoint", s:call("expr_fib", 3).kind)
    local names = {}
    for i, frame in ipairs(s:backtrace()) do
      names[i] = frame.func
    end
    assert.same({ "expr_fib", "expr_fib", "expr_fib" }, names)
    assert.is_nil(s:frame(3))
    s:abort()
    lib:close()
  end)
end)
