-- cli_spec.lua - the `snare` command: `snare debug` driven through a pipe
-- (and once through tmux, as a person types), `snare run`, `snare demo`.
local helpers = require "spec.helpers"
-- the directory gdb names the fixtures' sources by (they are built in build/)
local src = "../examples/targets/"
local terminal = require "spec.terminal_helpers"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local demo = examples .. "/libdemo.so"

local shell_quote = helpers.quote

-- Runs a shell command line; returns its output (stdout and stderr) and
-- its exit status.
local function run(command)
  local pipe = assert(io.popen(command .. " 2>&1; echo \"exit=$?\""))
  local output = pipe:read("a")
  pipe:close()
  local status = tonumber(output:match("exit=(%d+)\n$"))
  return output:gsub("exit=%d+\n$", ""), status
end

-- `snare debug LIB...` with `lines` on stdin (a file, as a script would).
-- lib: a path or a list of paths (default: the demo library).
local function debug(lines, lib, options)
  local libs = {}
  for i, path in ipairs(type(lib) == "table" and lib or { lib or demo }) do
    libs[i] = shell_quote(path)
  end
  local input = os.tmpname()
  local f = assert(io.open(input, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  local output, status = run(string.format("bin/snare debug %s%s < %s",
                                           options or "",
                                           table.concat(libs, " "),
                                           shell_quote(input)))
  os.remove(input)
  return output, status
end

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do
    n = n + 1
  end
  return n
end

describe("snare debug", function()
  it("stops at a conditional breakpoint, shows registers, runs to the end",
     function()
    local out, status = debug {
      "break fib if $rdi == 3",
      "info breakpoints",
      "call fib(6)",
      "info registers rdi",
      "print $rdi * 10",
      "continue",
      "c",
      "c",
      "c",
      "quit",
    }
    assert.equal(0, status)
    assert.matches("Breakpoint 1 at 0x%x+: file ../examples/targets/demo.c, line 8.",
                   out)
    assert.matches("1       breakpoint     keep y   0x%x+ in fib at " .. src .. "demo.c:8\n", out)
    assert.matches("\tstop only if $rdi == 3", out, 1, true)
    assert.matches("\nBreakpoint 1, fib (n=3) at ../examples/targets/demo.c:8\n8\t  if (n < 2)\n",
                   out, 1, true)
    assert.matches("rdi            0x3                 3\n", out, 1, true)
    assert.matches("$1 = 30\n", out, 1, true)
    -- fib(6) reaches n == 3 three times; the fourth resume returns 8
    assert.equal(3, count(out, "Breakpoint 1, "))
    assert.matches("$2 = 8\n", out, 1, true)
    assert.matches("The program is not being run.", out, 1, true)
  end)

  it("works at the source level: variables, backtrace, frames, lines",
     function()
    local out = debug {
      "break fib if n == 2",
      "break demo.c:17",
      "call fib(4)",
      "print n",
      "backtrace",
      "bt 1",
      "up",
      "print n",
      "frame 2",
      "down",
      "frame 0",
      "set var n = 1",
      "print n",
      "list",
      "list",
      "delete 1",
      "continue",
      "call collatz_steps(6)",
      "print n * 100",
      "list collatz_steps",
      "list demo.c:25",
      "print m",
      "kill",
    }
    assert.matches("Breakpoint 2 at 0x%x+: file ../examples/targets/demo.c, "
                   .. "line 17.", out)
    assert.matches("\nBreakpoint 1, fib (n=2) at ../examples/targets/demo.c:8\n", out, 1, true)
    assert.matches("$1 = 2\n", out, 1, true)
    assert.matches("#0  fib %(n=2%) at ../examples/targets/demo.c:8\n"
                   .. "#1  0x%x+ in fib %(n=3%) at ../examples/targets/demo.c:10\n"
                   .. "#2  0x%x+ in fib %(n=4%) at ../examples/targets/demo.c:10\n", out)
    assert.matches("#0  fib (n=2) at ../examples/targets/demo.c:8\n(More stack frames follow...)",
                   out, 1, true)
    assert.matches("#1  0x%x+ in fib %(n=3%) at ../examples/targets/demo.c:10\n"
                   .. "10\t  return fib%(n %- 1%) %+ fib%(n %- 2%);\n"
                   .. "%$2 = 3\n", out)
    assert.matches("#2  0x%x+ in fib %(n=4%) at ../examples/targets/demo.c:10\n", out)
    assert.matches("$3 = 1\n", out, 1, true) -- set var n = 1
    -- list: lines 3..12 around line 8, then the next ten
    assert.matches("\n3\t\n4\t#define DEMO_API", out)
    assert.matches("\n12\t\n13\tDEMO_API int collatz_steps", out)
    assert.matches("\n22\t\n", out, 1, true)
    -- fib(4) with fib(2) cut short by n = 1: fib(3) = 1 + 1, fib(4) = 2 + 1
    assert.matches("$4 = 3\n", out, 1, true)
    assert.matches("Breakpoint 2, collatz_steps (n=6) at ../examples/targets/demo.c:17\n"
                   .. "17\t    n = (n % 2 == 0) ? n / 2 : 3 * n + 1;", out, 1,
                   true)
    -- list collatz_steps: around the line of its entry (its "{", 14), as
    -- gdb
    assert.matches("$5 = 600\n9\t    return n;\n", out, 1, true)
    assert.matches("\n20\t  return steps;\n", out, 1, true)
    assert.matches("\n29\t", out, 1, true)
    assert.matches('No symbol "m" in current context.', out, 1, true)
  end)

  it("changes registers, repeats stepping on an empty line, steps over calls",
     function()
    local out, status = debug {
      "tbreak *fib",
      "call fib(10)",
      "set $rdi = 12",
      "info registers rdi",
      "stepi",
      "",
      "info breakpoints",
      "continue",
      "tbreak *fib",
      "call fib(3)",
      "nexti 10",
      "x/i $pc",
      "nexti",
      "x/i $pc",
      "print $rax",
      "kill",
    }
    assert.equal(0, status)
    assert.matches("Temporary breakpoint 1 at 0x%x+: file ../examples/targets/demo.c, "
                   .. "line 7.", out)
    assert.matches("Temporary breakpoint 1, fib %(n=%-?%d+%) at ../examples/targets/demo.c:7\n"
                   .. "7\t{\n", out)
    assert.matches("rdi            0xc                 12", out, 1, true)
    -- stepi inside a line: the pc, then the line; twice (empty line)
    assert.equal(2, count(out, "0x%x+\t7\t{\n"))
    assert.matches("No breakpoints or watchpoints.", out, 1, true)
    assert.matches("$1 = 144\n", out, 1, true)
    -- nexti: over the recursive call, which hits no breakpoint
    assert.matches("=> 0x%x+ <fib%+31>:\tcall   0x%x+ <fib>\n", out)
    assert.matches("=> 0x%x+ <fib%+36>:\tmov    %%eax,%%ebx\n", out)
    assert.matches("$2 = 1\n", out, 1, true) -- fib(2)
    assert.equal(1, count(out, "Temporary breakpoint 2, "))
  end)

  it("shows instructions where there is no line information", function()
    local out = debug({
      "set debug-file-directory /nonexistent", -- libc without libc6-dbg's
      "break *abs",
      "call (int) abs(-5)",
      "stepi",
      "bt 1",
      "list",
      "continue",
    }, { demo, "libc.so.6" })
    assert.matches("\nBreakpoint 1, 0x%x+ in abs %(%)\n"
                   .. "=> 0x%x+ <abs>:\t%a", out)
    assert.matches("\n0x%x+ in abs %(%)\n=> 0x%x+ <abs%+%d+>:\t%a", out)
    assert.matches("#0  0x%x+ in abs %(%)\n", out)
    assert.matches("No source file", out, 1, true)
    assert.matches("$1 = 5\n", out, 1, true)
  end)

  it("disassembles the program's own bytes, not the breakpoint's int3",
     function()
    local out = debug {
      "break *fib",
      "disassemble fib",
      "x/2i fib",
      "call fib(1)",
      "disassemble",
      "disassemble collatz_steps 2",
      "show disassembly-flavor",
      "set disassembly-flavor intel",
      "x/2i fib",
      "set disassembly-flavor masm",
      "set disassembly-flavor",
      "set disassembly-flavor a",
      "show disassembly-flavor",
    }
    assert.matches("0x%x+ <fib>:\tpush   rbp\n"
                   .. "   0x%x+ <fib%+1>:\tmov    rbp,rsp", out)
    assert.matches('Undefined item: "masm".', out, 1, true)
    assert.matches("Requires an argument. Valid arguments are att, intel.",
                   out, 1, true)
    -- "a" is att's prefix; masm and nothing leave it alone
    assert.equal(2, count(out, 'The disassembly flavor is "att"%.'))
    assert.matches("Dump of assembler code for function fib:\n"
                   .. "   0x%x+ <%+0>:\tpush   %%rbp\n", out)
    assert.matches("call   0x%x+ <fib>\n", out)
    assert.matches("End of assembler dump.", out, 1, true)
    assert.matches("   0x%x+ <fib>:\tpush   %%rbp\n"
                   .. "   0x%x+ <fib%+1>:\tmov    %%rsp,%%rbp", out)
    assert.matches("=> 0x%x+ <%+0>:\tpush   %%rbp", out)
    assert.matches("<collatz_steps>:\tpush   %%rbp\n"
                   .. "   0x%x+ <collatz_steps%+1>:", out)
    assert.falsy(out:find("int3", 1, true))
  end)

  it("examines memory, evaluates C and Lua, keeps a value history", function()
    local out = debug {
      "tbreak *collatz_steps",
      "call collatz_steps(0x1b)",
      "x/2xg $sp",
      "print/x $rdi",
      "print $1 + 1",
      "print *(unsigned char *)fib",
      "x/4xb fib",
      "lua answer = 6 * 7",
      "lua return answer",
      "lua rdi = 7",
      "print $rdi",
      "lua return { 1, 2, name = 'x' }, $1 + 1",
      "continue",
    }
    assert.matches("0x%x+:\t0x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x\t0x%x+\n", out)
    assert.matches("$1 = 0x1b\n", out, 1, true)
    assert.matches("$2 = 28\n", out, 1, true)
    assert.matches("$3 = 85 'U'\n", out, 1, true) -- push rbp
    assert.matches("<fib>:\t0x55\t0x48\t0x89\t0xe5\n", out)
    assert.matches("\n42\n", out, 1, true)
    assert.matches("$4 = 7\n", out, 1, true)
    assert.matches('\n{1, 2, name = "x"}\n28\n', out, 1, true)
    assert.matches("$5 = 16\n", out, 1, true) -- collatz_steps(7)
  end)

  it("passes strings to calls and reads them back", function()
    local out = debug({
      "tbreak my_strlen",
      'call my_strlen("hello")',
      "x/s $rdi",
      "print (char *)$rdi",
      "continue",
      'call my_strlen("")',
    }, helpers.fixture("strings"))
    assert.matches('0x%x+:\t"hello"\n', out)
    assert.matches('$1 = 0x%x+ "hello"\n', out)
    assert.matches("$2 = 5\n", out, 1, true)
    assert.matches("$3 = 0\n", out, 1, true)
  end)

  it("sets and shows gdb's debug-file-directory", function()
    local out, status = debug {
      "show debug-file-directory",
      "set debug-file-directory /opt/debug:/usr/lib/debug",
      "show debug-file-directory",
      "set debug-file-directory",
      "show debug-file-directory",
    }
    assert.equal(0, status)
    local shown = "The directory where separate debug symbols are searched for is "
    assert.matches(shown .. '"/usr/lib/debug".\n' .. shown ..
      '"/opt/debug:/usr/lib/debug".\n' .. shown .. '"/usr/lib/debug".\n',
      out, 1, true)
  end)

  it("reports signals and interrupts, and aborts calls", function()
    local out, status = debug {
      "call crash(0)",
      "kill",
      "set timeout 200",
      "call spin_forever()",
      "kill",
      "call fib(7)",
    }
    assert.equal(0, status)
    assert.matches("\nProgram received signal SIGSEGV, Segmentation fault.\n"
                   .. "0x%x+ in crash %(p=0x0%) at " .. src .. "demo.c:25\n25\t  %*p = 42;\n",
                   out)
    assert.matches("Fault address 0x0.", out, 1, true)
    assert.matches("Program received signal SIGINT, Interrupt.\n"
                   .. "0x%x+ in spin_forever %(%) at ../examples/targets/demo.c:%d+\n", out)
    assert.equal(2, count(out, "%[call aborted%]"))
    assert.matches("$1 = 13\n", out, 1, true)
  end)

  it("prints errors and carries on; the end of input ends it with status 0",
     function()
    local out, status = debug {
      "bogus",
      "di",
      "continue",
      "info registers",
      "x/4x 0",
      "x/s 0",
      "x/i 0",
      "break nosuchfunction",
      "break *0",
      "call nosuchfunction(1)",
      "print nosuchname",
      "print 1 +",
      "delete 9",
      "call fib(1, )",
      "help",
      "help break",
      "help info registers",
      "call fib(9)",
      "call (fib + 0)(5)",
    }
    assert.equal(0, status)
    assert.matches('Undefined command: "bogus".  Try "help".', out, 1, true)
    assert.matches('Ambiguous command "di": disable, disassemble, display.', out, 1,
                   true)
    assert.matches("The program is not being run.", out, 1, true)
    -- x/4x 0, x/s 0 and x/i 0 alike (x/s's as gdb's "<error: ...>")
    assert.equal(3, count(out, "Cannot access memory at address 0x0"))
    assert.matches('Function "nosuchfunction" not defined.', out, 1, true)
    assert.matches("\ncannot set breakpoint at 0x0", out, 1, true)
    assert.matches('No symbol "nosuchfunction" in current context.', out, 1,
                   true)
    assert.matches('No symbol "nosuchname" in current context.', out, 1, true)
    assert.matches("A syntax error in expression, near `'.", out, 1, true)
    assert.matches("No breakpoint number 9.", out, 1, true)
    assert.matches("  stepi %[N%]%s+run one instruction", out)
    assert.matches("Aliases: b, br", out, 1, true)
    assert.matches("info registers [NAME...] -- the registers of the "
                   .. "selected frame", out, 1, true)
    assert.matches("$1 = 34\n", out, 1, true)
    assert.matches("$2 = 5\n", out, 1, true) -- through an address expression
  end)

  it("reports a failing condition and stops", function()
    local out = debug {
      "break fib if *(unsigned long *)0 == 1",
      "call fib(3)",
      "info breakpoints",
      "kill",
      "disable 1",
      "call fib(3)",
      "enable",
      "delete",
      "info breakpoints",
    }
    assert.matches("Error in testing breakpoint condition:\n"
                   .. "Cannot access memory at address 0x0", out, 1, true)
    assert.matches("\nBreakpoint 1, ", out, 1, true)
    assert.matches("breakpoint already hit 1 time\n", out, 1, true)
    assert.matches("$1 = 2\n", out, 1, true)
    assert.matches("No breakpoints or watchpoints.", out, 1, true)
  end)

  it("steps by source lines: step, next, finish, until, advance", function()
    local out, status = debug {
      "break fib if n == 2",
      "call fib(4)",
      "step",
      "step",
      "finish",
      "delete",
      "next",
      "finish",
      "kill",
      "tbreak *collatz_steps",
      "call collatz_steps(6)",
      "advance 20",
      "print steps",
      "kill",
      "tbreak collatz_steps",
      "call collatz_steps(6)",
      "until 18",
      "print n",
      "kill",
    }
    assert.equal(0, status)
    -- step: to line 10; step again: into fib(1), a new frame
    assert.matches("\nBreakpoint 1, fib (n=2) at ../examples/targets/demo.c:8\n8\t  if (n < 2)\n"
                   .. "10\t  return fib(n - 1) + fib(n - 2);\n"
                   .. "fib (n=1) at ../examples/targets/demo.c:8\n8\t  if (n < 2)\n", out, 1, true)
    -- finish: back in the caller, mid-line, with the value
    assert.matches("Run till exit from #0  fib %(n=1%) at ../examples/targets/demo.c:8\n"
                   .. "0x%x+ in fib %(n=2%) at ../examples/targets/demo.c:10\n"
                   .. "10\t  return fib%(n %- 1%) %+ fib%(n %- 2%);\n"
                   .. "Value returned is %$1 = 1\n", out)
    -- next: over the rest of line 10, to line 11; finish: fib(2) = 1
    assert.matches("Value returned is %$1 = 1\n11\t}\n"
                   .. "Run till exit from #0  fib %(n=2%) at ../examples/targets/demo.c:11\n"
                   .. "0x%x+ in fib %(n=3%) at ../examples/targets/demo.c:10\n", out)
    assert.matches("Value returned is $2 = 1\n", out, 1, true)
    assert.matches("\n20\t  return steps;\n$3 = 8\n", out, 1, true)
    -- until 18 stops on its first arrival, after one trip through line 17
    assert.matches("\n18\t    steps%+%+;\n%$4 = 3\n", out)
  end)

  it("works in a terminal as a person types it, with line editing and "
     .. "history (tmux)", function()
    if not terminal.available() then
      pending("tmux is not installed: tools/setup installs it")
      return
    end
    local t = terminal.new("snare-cli-spec")
    local tmux, wait_for, type_line = t.tmux, t.wait_for, t.type_line
    local history = os.tmpname()
    -- tmux does not always report a dead pane's exit status (seen with
    -- 3.3a), so the pane's shell writes it to a file.
    local status_file = os.tmpname()
    local command = terminal.env({ "SNARE_HISTORY=" .. shell_quote(history) },
                                 { "LUA_PATH", "LUA_CPATH", "SNARE_BUILD",
                                   "SNARE_EXAMPLES", "LD_PRELOAD",
                                   "ASAN_OPTIONS", "UBSAN_OPTIONS" })
                    .. " bin/snare debug " .. shell_quote(demo)
                    .. "; echo $? > " .. shell_quote(status_file)
    finally(function()
      tmux("kill-server")
      os.remove(history)
      os.remove(status_file)
    end)
    t.start(command)
    wait_for("(snare)")
    type_line("break fib if n == 2")
    wait_for("Breakpoint 1 at 0x")
    type_line("call fib(3)")
    wait_for("Breakpoint 1, fib (n=2) at ../examples/targets/demo.c:8")
    -- line editing: "prnt n", then Home, Right x2, insert "i"
    tmux("send-keys -t cli -l 'prnt n'")
    tmux("send-keys -t cli Home Right Right i Enter")
    wait_for("$1 = 2")
    -- history: Up recalls "print n"; edit it into "print n + 40"
    tmux("send-keys -t cli Up")
    tmux("send-keys -t cli -l ' + 40'")
    tmux("send-keys -t cli Enter")
    wait_for("$2 = 42")
    type_line("continue")
    wait_for("$3 = 2")
    type_line("quit")
    -- the program ends, with status 0
    assert.equal("1\n", t.wait_dead())
    local f = assert(io.open(status_file))
    local status = f:read("a")
    f:close()
    assert.equal("0\n", status)
    assert.matches("(snare) print n + 40\n$2 = 42", t.screen, 1, true)
    assert.is_nil(t.screen:find("Undefined command", 1, true))
  end)

  it("refuses a library that does not load", function()
    local out, status = debug({ "quit" }, "/nonexistent/lib.so")
    assert.equal(1, status)
    assert.matches("snare: .*nonexistent", out)
  end)
end)

describe("snare run and snare demo", function()
  it("runs a script with snare loaded and arg set as lua does", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write([[
local snare = require "snare"
print("args", arg[0] == ..., #arg, arg[1], arg[2], select("#", ...))
print("hex", snare.hex(255))
os.exit(tonumber(arg[2]))
]])
    f:close()
    local out, status = run("bin/snare run " .. script .. " one 3")
    assert.equal(3, status)
    assert.matches("args\tfalse\t2\tone\t3\t2", out, 1, true)
    assert.matches("hex\t0xff", out, 1, true)

    f = assert(io.open(script, "w"))
    f:write("error('boom')\n")
    f:close()
    out, status = run("bin/snare run " .. script)
    os.remove(script)
    assert.equal(1, status)
    assert.matches("snare: .*boom\nstack traceback", out)
  end)

  it("explains its usage", function()
    local out, status = run("bin/snare")
    assert.equal(2, status)
    assert.matches("usage: snare COMMAND", out, 1, true)
    out, status = run("bin/snare help")
    assert.equal(0, status)
    assert.matches("snare debug", out, 1, true)
    out, status = run("bin/snare frobnicate")
    assert.equal(2, status)
    assert.matches("unknown command 'frobnicate'", out, 1, true)
  end)

  it("runs the tour", function()
    local out, status = run("bin/snare demo")
    assert.equal(0, status)
    assert.matches("fib(20) ->\texit, returned 6765", out, 1, true)
    assert.matches("Done.", out, 1, true)
  end)
end)
