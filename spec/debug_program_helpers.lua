-- debug_program_helpers.lua - running `snare debug -batch -- PROG` and
-- gdb -batch on the same program, and the lines of their output that
-- both print alike (spec/debug_program*_spec.lua).
local helpers = require "spec.helpers"
local gdb_cache = require "spec.gdb_cache"

local M = {}

local program = helpers.program("debug_program")

local quote = helpers.quote

-- Runs `words` (a list) with stdout and stderr to files; returns them and
-- the exit status.
function M.run(words)
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

-- `words` (a debugger's, which it extends) and then
-- `-ex C1 -ex C2 ... PROGRAM_WORD PROG ARGS`.
local function debugger_words(words, commands, program_word, prog, ...)
  for _, c in ipairs(commands) do
    words[#words + 1] = "-ex"
    words[#words + 1] = c
  end
  words[#words + 1] = program_word
  words[#words + 1] = prog or program
  for _, a in ipairs { ... } do
    words[#words + 1] = a
  end
  return words
end

-- The words of `snare debug -batch -ex C1 -ex C2 ... -- PROG ARGS`.
function M.snare_debug_words(commands, prog, ...)
  return debugger_words({ "bin/snare", "debug", "-batch" }, commands, "--",
                        prog, ...)
end

-- `snare debug -batch -ex C1 -ex C2 ... -- PROG ARGS`.
function M.snare_debug(commands, prog, ...)
  return M.run(M.snare_debug_words(commands, prog, ...))
end

--- Whether the program's uninitialised locals read as under gdb: not
-- when the specs run under ASan, whose runtime (preloaded into the
-- program with the ASan agent) starts on the main thread's stack before
-- main and leaves its bytes where main's callees keep their locals. The
-- cases that print such locals are then pending (they run in release).
function M.stack_as_gdb()
  return not (os.getenv("LD_PRELOAD") or ""):match("libasan")
end

function M.gdb_batch(commands, prog, ...)
  -- gdb and its inferior without the sanitizer runtime the specs may run
  -- with (busted under ASan preloads it)
  return gdb_cache.run(M.run, M.gdb_words(commands, prog, ...), "/dev/null")
end

-- `commands`, each after an `echo` of its marker (`marker(i, command)`:
-- the echoed text), so that their outputs stay apart.
function M.echoed(commands, marker)
  local out = {}
  for i, c in ipairs(commands) do
    out[#out + 1] = "echo " .. marker(i, c) .. "\\n"
    out[#out + 1] = c
  end
  return out
end

-- The lines of `text` that match one of the Lua patterns `patterns`.
function M.matching(text, patterns)
  local lines = {}
  for line in text:gmatch("[^\n]*") do
    for _, p in ipairs(patterns) do
      if line:match(p) then
        lines[#lines + 1] = line
        break
      end
    end
  end
  return lines
end

-- The lines both print alike, with addresses, source directories and
-- process ids taken out.
-- stderr without gdb's words for library sources neither tool has
-- ("146\t../sysdeps/nptl/futex-internal.h: No such file or directory.").
function M.own_errors(err)
  return (err:gsub("%d+\t[^\n]*: No such file or directory%.\n", ""))
end

function M.comparable(text)
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

-- The shell script of M.interrupted: $1 the input after the stop, $2
-- the number of the system call to interrupt, $3 the signal, then the
-- debugger's command line.
local interrupting = [=[
input=$1; awaited=$2; signal=$3; shift 3
# the polling below without the sanitizer runtime the specs may preload
preload=${LD_PRELOAD-}
unset LD_PRELOAD
dir=$(mktemp -d); mkfifo "$dir/in"; out=$dir/out
LD_PRELOAD=$preload "$@" <"$dir/in" >"$out" 2>&1 &
debugger=$!
exec 3>"$dir/in"
# (every 20 ms, for up to 60 s: each wait here is short, and a run's
# three of them at 100 ms lost 150 ms on average)
for _ in $(seq 3000); do grep -q '^ready' "$out" && break; sleep 0.02; done
program=$(pgrep -P "$debugger")
# and until its main thread waits in the system call it says it is ready
# for: a SIGINT a moment early shows another frame (the write of "ready",
# or the futex of a stdio lock another thread waits for)
for _ in $(seq 500); do
  read -r nr _ <"/proc/$program/syscall" || break
  [[ $nr == "$awaited" ]] && break
  sleep 0.02
done
kill -"$signal" "$program"
for _ in $(seq 3000); do grep -q 'received signal' "$out" && break
  sleep 0.02
done
printf '%s' "$input" >&3
exec 3>&-
wait "$debugger"
echo "status $?" >>"$out"
cat "$out"
rm -rf "$dir"
]=]

-- The x86-64 numbers of the system calls a fixture waits in.
local syscall_numbers = { read = 0, pause = 34, clock_nanosleep = 230,
                          poll = 7, select = 270, -- (glibc's is pselect6)
                          ppoll = 271, pselect = 270, epoll_wait = 232,
                          epoll_pwait = 281 }

-- Runs `words`, a debugger's command line (snare debug or gdb, batch,
-- whose program is its child), with stdin a pipe: once the program said
-- "ready" and its main thread waits in the system call named `awaited`,
-- the program gets a SIGINT (as from Ctrl-C), and once the stop is
-- shown, `input` is written to stdin and it is closed. Returns the
-- output (stdout and stderr) and then "status N", the debugger's.
-- `signal` ("USR1"...) is sent instead of SIGINT when given.
function M.interrupted(words, awaited, input, signal)
  local number = assert(syscall_numbers[awaited], "unknown system call")
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(interrupting)
  f:close()
  local command = { "bash", script, input or "", tostring(number),
                    signal or "INT" }
  for _, w in ipairs(words) do
    command[#command + 1] = w
  end
  local out = M.run(command)
  os.remove(script)
  return out
end

-- gdb -batch's command line (as M.gdb_batch runs it).
function M.gdb_words(commands, prog, ...)
  return debugger_words({ "env", "-u", "LD_PRELOAD", "gdb", "-nx", "-batch",
                          "-iex", "set debuginfod enabled off" },
                        commands, "--args", prog, ...)
end

return M
