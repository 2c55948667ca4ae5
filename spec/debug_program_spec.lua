-- debug_program_spec.lua - `snare debug -- PROG`: the prompt on a whole
-- program (run, start, kill, breakpoints in any thread, bt, variables,
-- steps, info threads, thread N), compared with gdb -batch on the same
-- program where their output is the same.
local helpers = require "spec.helpers"

local program = helpers.program("debug_program")
local crash = helpers.program("crash")

local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Runs `words` (a list) with stdout and stderr to files; returns them and
-- the exit status.
local function run(words)
  local quoted = {}
  for i, w in ipairs(words) do
    quoted[i] = quote(w)
  end
  local out, err = os.tmpname(), os.tmpname()
  local ok, how, status = os.execute(string.format(
    "timeout 120 %s >%s 2>%s </dev/null", table.concat(quoted, " "), out,
    err))
  local stdout, stderr = helpers.read_file(out), helpers.read_file(err)
  os.remove(out)
  os.remove(err)
  return stdout, stderr, how == "exit" and status or 128 + status, ok
end

-- `snare debug -batch -ex C1 -ex C2 ... -- PROG ARGS`.
local function snare_debug(commands, prog, ...)
  local words = { "bin/snare", "debug", "-batch" }
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex"
    words[#words + 1] = c
  end
  words[#words + 1] = "--"
  words[#words + 1] = prog or program
  for _, a in ipairs { ... } do
    words[#words + 1] = a
  end
  return run(words)
end

local function gdb_batch(commands, prog, ...)
  -- gdb and its inferior without the sanitizer runtime the specs may run
  -- with (busted under ASan preloads it)
  local words = { "env", "-u", "LD_PRELOAD", "gdb", "-nx", "-batch", "-iex",
                  "set debuginfod enabled off" }
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex"
    words[#words + 1] = c
  end
  words[#words + 1] = "--args"
  words[#words + 1] = prog or program
  for _, a in ipairs { ... } do
    words[#words + 1] = a
  end
  return run(words)
end

-- The lines both print alike, with addresses, source directories and
-- process ids taken out.
local function comparable(text)
  local lines = {}
  for line in text:gmatch("[^\n]*") do
    if line:match("^#%d") or line:match("^%$%d+ = ") or line:match("^%w+ = ")
       or line:match("Breakpoint %d+, ") or line:match("^%d+\t")
       or line:match("^%[Inferior") or line:match("^Program ")
       or line:match("^Value returned") then
      line = line:gsub("0x%x+", "0x"):gsub(" at [^ ]*/([^/ ]+:%d+)", " at %1")
        :gsub("process %d+", "process N")
      lines[#lines + 1] = line
    end
  end
  return lines
end

describe("snare debug -- PROG", function()
  it("stops at a breakpoint in main's callee and shows what gdb shows",
     function()
    local commands = { "break scale", "run", "bt", "info locals", "p *p",
                       "p factor", "p p->name", "finish", "continue" }
    local out, _, status = snare_debug(commands)
    local gdb_out = gdb_batch(commands)
    assert.equals(0, status)
    assert.same(comparable(gdb_out), comparable(out))
    assert.matches("Breakpoint 1, scale %(p=0x%x+, factor=2%) at "
                   .. "debug_program.c:20\n", out)
    assert.matches("\n#1  0x%x+ in main %(argc=1, argv=0x%x+%) at "
                   .. "debug_program.c:47\n", out)
    assert.matches("\n%$1 = {x = 3, y = 4, name = 0x%x+ \"corner\"}\n", out)
    assert.matches("Value returned is %$4 = 12\n", out)
    assert.matches("%[Inferior 1 %(process %d+%) exited with code 03%]\n$",
                   out)
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
    assert.equals("done\n", err)
    assert.equals(0, status)
    local hits = {}
    for arg in out:gmatch("\nThread %d \"debug_program\" hit Breakpoint 1, "
                          .. "add_square %(index=(%d)%) at "
                          .. "debug_program.c:30\n") do
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
    assert.matches("^add_square %(index=[12]%) at debug_program.c:30$",
                   current.rest)
    assert.not_matches("running", table_)
    -- a worker's stack ends in libc's thread start, snare's own frames
    -- left out; the main thread's at main
    assert.matches("\n#0  add_square %(index=([12])%) at debug_program.c:30\n"
                   .. "#1  0x%x+ in worker %(arg=0x%1%) at debug_program.c:40\n"
                   .. "#2  0x%x+ in start_thread ", out)
    assert.matches("%[Switching to thread 1 %(Thread 0x%x+ %(LWP %d+%)%)%]\n",
                   out)
    assert.matches("%[Switching to Thread 0x%x+ %(LWP %d+%)%]\n\nThread %d "
                   .. "\"debug_program\" hit Breakpoint 1, ", out)
    assert.matches("\n#%d  0x%x+ in main %(argc=1, argv=0x%x+%) at "
                   .. "debug_program.c:5[46]\n", out)
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
    local out, _, status = snare_debug {
      "break add_square", "run", "next", "next", "info locals", "p index",
      "p squared == index * index", "finish", "kill" }
    assert.equals(0, status)
    assert.matches("\n31\t  pthread_mutex_lock%(&lock%);\n"
                   .. "32\t  total %+= squared;\n", out)
    local index = out:match("hit Breakpoint 1, add_square %(index=(%d)%)")
    assert.truthy(index == "1" or index == "2")
    assert.matches("\nsquared = " .. index * index .. "\n", out)
    assert.matches("\n%$1 = " .. index .. "\n%$2 = 1\n", out)
    assert.matches("Run till exit from #0  add_square", out)
    assert.matches("\nworker %(arg=0x" .. index .. "%) at debug_program.c:41\n",
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
    assert.matches("exited with code 11%]\n", out) -- 9, as gdb: in octal
    assert.matches("main %(argc=3, argv=0x%x+%) at debug_program.c:46\n", out)
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
                   .. "debug_program.c:47\n47\t", out)
    assert.matches("\n48\t  printf.*\n%$3 = 12\n", out)
  end)

  it("starts at main with start", function()
    local commands = { "start", "next", "p p", "next", "p first" }
    local out, _, status = snare_debug(commands)
    assert.equals(0, status)
    assert.matches("^Temporary breakpoint 1 at 0x%x+ <main%+%d+>: file "
                   .. "debug_program.c, line 46%.\n\nTemporary breakpoint 1, "
                   .. "main %(argc=1, argv=0x%x+%) at debug_program.c:46\n",
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
                   .. "0x%x+ in inner %(p=0x0%) at crash.c:12\n", out)
    assert.matches("\nProgram terminated with signal SIGSEGV, Segmentation "
                   .. "fault%.\nThe program no longer exists%.\n$", out)
  end)

  it("stops the program at Ctrl-C (SIGINT) and continues it", function()
    -- attach_counter says "ready", then waits in read(): SIGINT then,
    -- then a line for it once the stop is shown, then the end of input
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write([[
# the polling below without the sanitizer runtime the specs may preload
preload=${LD_PRELOAD-}
unset LD_PRELOAD
dir=$(mktemp -d); mkfifo "$dir/in"; out=$dir/out
LD_PRELOAD=$preload bin/snare debug -batch -ex run -ex bt -ex continue \
  -- "$1" <"$dir/in" >"$out" 2>&1 &
snare=$!
exec 3>"$dir/in"
for _ in $(seq 600); do grep -q '^ready' "$out" && break; sleep 0.1; done
kill -INT "$(pgrep -P "$snare")"
for _ in $(seq 600); do grep -q 'received signal' "$out" && break; sleep 0.1
done
echo 2 >&3
exec 3>&-
wait "$snare"
echo "status $?" >>"$out"
cat "$out"
rm -rf "$dir"
]])
    f:close()
    local out = run { "bash", script, helpers.program("attach_counter") }
    os.remove(script)
    assert.matches("^ready\n\nProgram received signal SIGINT, Interrupt%.\n",
                   out)
    assert.matches("\n#%d  0x%x+ in main %(%) at attach_counter.c:20\n", out)
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
    assert.matches("^Breakpoint 1 at 0x%x+ <scale%+%d+>: file "
                   .. "debug_program.c, line 20%.\n$", out)
  end)
end)
