-- debug_program_spec.lua - `snare debug -- PROG`: the prompt on a whole
-- program (run, start, kill, breakpoints in any thread, bt, variables,
-- steps, info threads, thread N), compared with gdb -batch on the same
-- program where their output is the same.
local helpers = require "spec.helpers"
-- the directory gdb names the fixtures' sources by (they are built in build/)
local src = "../spec/fixtures/programs/"

local program = helpers.program("debug_program")
local crash = helpers.program("crash")

local dp = require "spec.debug_program_helpers"
local run, snare_debug, gdb_batch, comparable =
  dp.run, dp.snare_debug, dp.gdb_batch, dp.comparable

describe("snare debug -- PROG", function()
  it("stops at a breakpoint in main's callee and shows what gdb shows",
     function()
    if not dp.stack_as_gdb() then
      pending("uninitialised locals under ASan (dp.stack_as_gdb)")
      return
    end
    local commands = { "break scale", "run", "bt", "info locals", "p *p",
                       "p factor", "p p->name", "finish", "continue" }
    local out, _, status = snare_debug(commands)
    local gdb_out = gdb_batch(commands)
    assert.equals(0, status)
    assert.same(comparable(gdb_out), comparable(out))
    assert.matches("Breakpoint 1, scale %(p=0x%x+, factor=2%) at "
                   .. "../spec/fixtures/programs/debug_program.c:20\n", out)
    assert.matches("\n#1  0x%x+ in main %(argc=1, argv=0x%x+%) at "
                   .. "../spec/fixtures/programs/debug_program.c:47\n", out)
    assert.matches("\n%$1 = {x = 3, y = 4, name = 0x%x+ \"corner\"}\n", out)
    assert.matches("Value returned is %$4 = 12\n", out)
    assert.matches("%[Inferior 1 %(process %d+%) exited with code 03%]\n$",
                   out)
  end)

  it("ends a step that runs into the program's exit as gdb does", function()
    -- from main's last lines into libc's exit(), then over it by next,
    -- and by finish after step and stepi: the program's end is shown,
    -- its output and status kept (each hung)
    for _, last in ipairs { { "next" }, { "step", "finish" },
                            { "stepi", "finish" } } do
      local commands = { "break debug_program.c:58", "run", "next", "next",
                         "next", table.unpack(last) }
      local out, err, status = snare_debug(commands)
      local gdb_out, gdb_err = gdb_batch(commands)
      assert.equals(0, status)
      -- libc's source, which neither has, is said missing once, on stderr
      local function missing(text)
        return text:match("(74\t[^\n]*: No such file or directory%.)\n")
      end
      assert.equals(missing(gdb_err), missing(err))
      assert.truthy(missing(err))
      assert.matches("total 15\n%[Inferior 1 %(process %d+%) exited "
                     .. "with code 03%]\n$", out)
      if last[1] == "next" then
        -- the lines of libc's sources, which neither has, differ in words
        local function program_lines(text)
          local kept = {}
          for _, line in ipairs(comparable(text)) do
            if not line:find("sysdeps", 1, true) then
              kept[#kept + 1] = line
            end
          end
          return kept
        end
        assert.same(program_lines(gdb_out), program_lines(out))
      end
    end
  end)

  it("goes up and down as far as the stack goes, as gdb", function()
    local commands = { "break scale", "run", "up", "up", "down 5", "down",
                       "up 5", "frame", "kill" }
    local out, err = snare_debug(commands)
    local gdb_out, gdb_err = gdb_batch(commands)
    local function errors(text)
      local kept = {}
      for line in text:gmatch("[^\n]+") do
        if line:find("frame selected", 1, true) then
          kept[#kept + 1] = line
        end
      end
      return kept
    end
    assert.same({ "Initial frame selected; you cannot go up.",
                  "Bottom (innermost) frame selected; you cannot go down." },
                errors(gdb_err))
    assert.same(errors(gdb_err), errors(err))
    assert.same(comparable(gdb_out), comparable(out))
  end)

  it("takes the program along when snare itself is killed", function()
    -- snare killed (kill -9) while the program is stopped at a breakpoint
    -- with its prompt waiting: the program does not live on, parked
    local token = tostring(os.time()) .. tostring(math.random(1e6))
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(([[
out=$(mktemp)
{ printf 'break work\nrun\n'; sleep 30; } |
  env ${PRELOAD:+LD_PRELOAD=$PRELOAD} bin/snare debug -- %s descriptors %s \
    >"$out" 2>&1 &
front=$!
for _ in $(seq 100); do grep -q "Breakpoint 1, work" "$out" && break; sleep 0.1; done
program=$(ps -eo pid=,args= | awk '/descriptors %s/ && !/snare/ {print $1}')
echo "program ${program:-none}"
kill -9 "$front"
# until it is gone (dead, it may wait as a zombie for the init process
# to reap it), for up to 10 s
for _ in $(seq 100); do
  state=$(ps -o stat= -p "${program:-0}")
  { [ -z "$state" ] || [ "${state#Z}" != "$state" ]; } && break
  sleep 0.1
done
if [ -n "$state" ] && [ "${state#Z}" = "$state" ]; then
  echo "still alive"; kill -9 "$program"
fi
rm -f "$out"
]]):format(helpers.program("lifecycle"), token, token))
    f:close()
    -- the shell and its tools without the sanitizer runtime busted may
    -- run with (under it this shell hangs); snare with it
    local out = run { "env", "-u", "LD_PRELOAD",
                      "PRELOAD=" .. (os.getenv("LD_PRELOAD") or ""), "bash",
                      script }
    os.remove(script)
    assert.matches("^program %d+\n$", out)
  end)

  it("leaves the program the descriptor numbers it opens without the "
     .. "prompt, stopped and continued", function()
    local lifecycle = helpers.program("lifecycle")
    local plain_out, _, plain_status = run { lifecycle, "descriptors" }
    assert.equals(0, plain_status)
    local out = snare_debug({ "break work", "run", "next", "continue" },
                            lifecycle, "descriptors")
    assert.matches("Breakpoint 1, work ", out, 1, true)
    assert.matches("\n" .. plain_out:gsub("%p", "%%%0"), out)
  end)

  it("leaves the program's stdout, stderr and exit status as they are",
     function()
    local plain_out, plain_err, plain_status = run { program, "7" }
    assert.equals(7, plain_status)
    local out, err, status = snare_debug({ "run" }, program, "7")
    assert.equals(0, status)
    assert.equals(plain_err, err)
    local pid = out:match("%[Inferior 1 %(process (%d+)%) exited with code 07%]")
    assert.truthy(pid)
    -- gdb's news of threads, among the program's output
    out = out:gsub("%[New Thread 0x%x+ %(LWP %d+%)%]\n", "")
      :gsub("%[Thread 0x%x+ %(LWP %d+%) exited%]\n", "")
    assert.equals(plain_out .. ("[Inferior 1 (process %s) exited with "
                                .. "code 07]\n"):format(pid), out)
    out = snare_debug({ "run" }, program, "0")
    assert.matches("%[Inferior 1 %(process %d+%) exited normally%]\n$", out)
  end)

  it("stops in worker threads; info threads, thread N, bt in each",
     function()
    local out, err, status = snare_debug {
      "break add_square", "run", "info threads", "bt", "thread 1", "bt",
      "thread apply all bt", "continue", "info threads", "continue" }
    -- besides the program's own, gdb's words for libc's sources it does
    -- not have (main waits in a futex)
    assert.equals("done\n", dp.own_errors(err))
    assert.equals(0, status)
    local hits = {}
    for arg in out:gmatch("\nThread %d \"debug_program\" hit Breakpoint 1, "
                          .. "add_square %(index=(%d)%) at "
                          .. "../spec/fixtures/programs/debug_program.c:30\n") do
      hits[#hits + 1] = arg
    end
    table.sort(hits)
    assert.same({ "1", "2" }, hits)
    local table_ = out:match("  Id   Target Id +Frame \n(.-)\n#0")
    assert.truthy(table_)
    local rows = {}
    for mark, n, rest in table_:gmatch("([* ]) (%d+) +Thread 0x%x+ %(LWP %d+%) "
                                       .. "\"debug_program\" ([^\n]*)") do
      rows[#rows + 1] = { mark = mark, n = tonumber(n), rest = rest }
    end
    assert.equals(3, #rows)
    assert.equals(1, rows[1].n)
    assert.equals(" ", rows[1].mark) -- main waits in pthread_join
    -- the worker that stopped is selected; the other one is stopped
    -- wherever it was (gdb's all-stop)
    local current = rows[2].mark == "*" and rows[2] or rows[3]
    assert.equals("*", current.mark)
    assert.matches("^add_square %(index=[12]%) at ../spec/fixtures/programs/debug_program.c:30$",
                   current.rest)
    assert.not_matches("running", table_)
    -- a worker's stack ends in libc's thread start, snare's own frames
    -- left out; the main thread's at main
    assert.matches("\n#0  add_square %(index=([12])%) at " .. src .. "debug_program.c:30\n"
                   .. "#1  0x%x+ in worker %(arg=0x%1%) at " .. src .. "debug_program.c:40\n"
                   .. "#2  0x%x+ in start_thread ", out)
    assert.matches("%[Switching to thread 1 %(Thread 0x%x+ %(LWP %d+%)%)%]\n",
                   out)
    assert.matches("%[Switching to Thread 0x%x+ %(LWP %d+%)%]\n\nThread %d "
                   .. "\"debug_program\" hit Breakpoint 1, ", out)
    assert.matches("\n#%d  0x%x+ in main %(argc=1, argv=0x%x+%) at "
                   .. "../spec/fixtures/programs/debug_program.c:5[46]\n", out)
    -- thread apply all: the newest first, the main thread last
    assert.matches("\nThread 3 %(Thread 0x%x+ %(LWP %d+%) \"debug_program\"%):"
                   .. "\n#0  .-\nThread 2 %(Thread 0x%x+ %(LWP %d+%) "
                   .. "\"debug_program\"%):\n#0  .-\nThread 1 %(Thread "
                   .. "0x%x+ %(LWP %d+%) \"debug_program\"%):\n", out)
    assert.not_matches("%?%?", out)
    assert.matches("total 15\n%[Inferior 1 %(process %d+%) exited with code "
                   .. "03%]\n$",
                   (out:gsub("%[Thread 0x%x+ %(LWP %d+%) exited%]\n", "")))
  end)

  it("steps a worker thread and reads its variables", function()
    -- the other worker kept parked: running, it may hit the breakpoint
    -- during the steps or the finish, which then end there (as gdb's do)
    local out, _, status = snare_debug {
      "break add_square", "run", "set scheduler-locking on", "next",
      "next", "info locals", "p index",
      "p squared == index * index", "finish", "kill" }
    assert.equals(0, status)
    assert.matches("\n31\t  pthread_mutex_lock%(&lock%);\n"
                   .. "32\t  total %+= squared;\n", out)
    local index = out:match("hit Breakpoint 1, add_square %(index=(%d)%)")
    assert.truthy(index == "1" or index == "2")
    assert.matches("\nsquared = " .. index * index .. "\n", out)
    assert.matches("\n%$1 = " .. index .. "\n%$2 = 1\n", out)
    -- gdb -batch runs -ex commands as from no terminal: finish does not
    -- say "Run till exit from"
    assert.not_matches("Run till exit", out, 1, true)
    assert.matches("\nworker %(arg=0x" .. index .. "%) at " .. src
                   .. "debug_program.c:41\n",
                   out)
    assert.matches("%[Inferior 1 %(process %d+%) killed%]\n$", out)
  end)

  it("kills the program and runs it again, breakpoints kept", function()
    local out, err, status = snare_debug {
      "break scale", "run", "kill", "info locals", "run", "p factor",
      "run", "p p->x", "continue" }
    assert.equals(1, status) -- batch mode: info locals failed
    assert.equals("No frame selected.\ndone\n", err)
    local pids = {}
    for pid in out:gmatch("process (%d+)") do
      pids[#pids + 1] = pid
    end
    assert.equals(2, #pids) -- killed, then the third run's exit
    assert.not_equals(pids[1], pids[2])
    local _, hits = out:gsub("Breakpoint 1, scale", "")
    assert.equals(3, hits)
    -- the value history goes on across runs, as gdb's
    assert.matches("killed%]\n.*%$1 = 2\n.*%$2 = 3\nscaled 12\n", out)
    assert.matches("exited with code 03%]\n$", out)
  end)

  it("takes the program without --, and new arguments with run ARGS",
     function()
    local out, _, status = run { "bin/snare", "debug", "-batch", "-ex",
                                 "run 9", "-ex", "start 4 5", "-ex", "p argc",
                                 program }
    assert.equals(0, status)
    assert.matches("exited with code 011%]\n", out) -- 9, as gdb: in octal
    assert.matches("main %(argc=3, argv=0x%x+%) at " .. src .. "debug_program.c:46\n", out)
    assert.matches("\n%$1 = 3\n$", out)
  end)

  it("runs the stopped thread to a line with until and advance, as gdb",
     function()
    -- advance stops where gdb's does: at line 48, or in the caller when
    -- the current function returns first (here: main, mid-line 47)
    local commands = { "break scale", "run", "until 22", "p sum", "p ratio",
                       "advance 48", "bt", "next", "p first", "continue" }
    local out, _, status = snare_debug(commands)
    assert.equals(0, status)
    assert.same(comparable(gdb_batch(commands)), comparable(out))
    assert.matches("\n22\t  total %+= sum;\n%$1 = 10\n%$2 = 2%.5\n", out)
    assert.matches("\n0x%x+ in main %(argc=1, argv=0x%x+%) at "
                   .. "../spec/fixtures/programs/debug_program.c:47\n47\t", out)
    assert.matches("\n48\t  printf.*\n%$3 = 12\n", out)
  end)

  it("starts at main with start", function()
    local commands = { "start", "next", "p p", "next", "p first" }
    local out, _, status = snare_debug(commands)
    assert.equals(0, status)
    assert.matches("^Temporary breakpoint 1 at 0x%x+: file "
                   .. src .. "debug_program.c, line 46%.\n\nTemporary breakpoint 1, "
                   .. "main %(argc=1, argv=0x%x+%) at " .. src .. "debug_program.c:46\n",
                   out)
    assert.same(comparable(gdb_batch(commands)), comparable(out))
    assert.matches("\n%$2 = 12\n", out)
  end)

  it("shows a fault as gdb does, and the program dies of it", function()
    local commands = { "run", "bt", "p p", "continue" }
    local out, _, status = snare_debug(commands, crash)
    assert.equals(0, status)
    assert.same(comparable(gdb_batch(commands, crash)), comparable(out))
    assert.matches("\nProgram received signal SIGSEGV, Segmentation fault%.\n"
                   .. "0x%x+ in inner %(p=0x0%) at ../spec/fixtures/programs/crash.c:12\n", out)
    assert.matches("\nProgram terminated with signal SIGSEGV, Segmentation "
                   .. "fault%.\nThe program no longer exists%.\n$", out)
  end)

  it("stops the program at Ctrl-C (SIGINT) and continues it", function()
    -- attach_counter says "ready", then waits in read(): SIGINT then,
    -- then a line for it once the stop is shown, then the end of input
    local out = dp.interrupted(dp.snare_debug_words(
      { "run", "bt", "continue" }, helpers.program("attach_counter")), "read",
      "2\n")
    assert.matches("^ready\n\nProgram received signal SIGINT, Interrupt%.\n",
                   out)
    assert.matches("\n#%d  0x%x+ in main %(%) at " .. src .. "attach_counter.c:20\n", out)
    -- the read() it was in goes on: the line after the stop is read
    assert.matches("\nticked 2 total 2\nbye total 2\n%[Inferior 1 %(process "
                   .. "%d+%) exited normally%]\nstatus 0\n$", out)
  end)

  it("says the program is not being run before run, and quits then",
     function()
    local out, err, status = snare_debug { "kill", "info threads",
                                           "break scale" }
    assert.equals(1, status) -- batch mode: a command failed
    assert.equals("The program is not being run.\nNo threads.\n", err)
    assert.matches("^Breakpoint 1 at 0x%x+: file "
                   .. "../spec/fixtures/programs/debug_program.c, line 20%.\n$", out)
  end)
end)
