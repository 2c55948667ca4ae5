-- snare attach PID debug: breakpoints set at the prompt stop the
-- program's own threads; the stop, bt and print are those of `gdb -p PID`
-- on the same running process (records compared, mismatches counted and
-- printed); continue and detach let it run on, its output unchanged.

local ah = require("spec.attach_helpers").new {
  finally = function(fn) finally(fn) end, -- busted's, inside a test
}
local sh, read, eventually = ah.sh, ah.read, ah.eventually
local start, send, output, finish = ah.start, ah.send, ah.output, ah.finish
local helpers = require "spec.helpers"
-- the directory gdb names the fixtures' sources by (they are built in build/)
local src = "../spec/fixtures/programs/"

local corpus_bin = "/var/cache/snare/corpus/builds"

-- A debugger (`snare` or `gdb`) attached to t in the background, running
-- `commands` (lines); `wait()` gives its stdout.
local function debugger(t, tool, commands)
  local base = t.dir .. "/" .. tool
  local script = assert(io.open(base .. ".commands", "w"))
  script:write(table.concat(commands, "\n"), "\n")
  script:close()
  local command = tool == "gdb"
    -- not under the sanitizer runtime the specs may run with
    and ("env -u LD_PRELOAD gdb -nx -batch -p " .. t.pid .. " -x " .. base
         .. ".commands")
    or ("bin/snare attach " .. t.pid .. " debug < " .. base .. ".commands")
  sh("rm -f " .. base .. ".out " .. base .. ".status")
  assert(sh("(timeout 120 " .. command .. " > " .. base .. ".out 2> " .. base
            .. ".err; echo $? > " .. base .. ".status) & echo $! > " .. base
            .. ".pid"))
  return {
    pid = math.tointeger(tonumber(read(base .. ".pid"):match("%d+"))),
    says = function(text)
      return eventually(function()
        return read(base .. ".out"):find(text, 1, true)
      end)
    end,
    wait = function()
      local status = eventually(function()
        return read(base .. ".status"):match("%d+")
      end)
      return read(base .. ".out"), math.tointeger(tonumber(status)),
             read(base .. ".err")
    end,
  }
end

-- "0x0000... in " before a frame's text: gdb writes it when the pc is
-- inside a line, which both agree on; the rest is compared, but for the
-- source file's directory (gdb writes the name the compiler was given).
local function frame_text(text)
  return (text:gsub("^0x%x+ in ", ""):gsub(" at %S*/([^/%s]+:%d+)$", " at %1"))
end

-- What a debugger's output shows of the stops, as records: each stop's
-- location and source line, each backtrace's frames up to main (gdb
-- stops there), each printed value. `loose`: arguments and values left
-- out (a server's stops differ by which connection's thread stopped).
local function records(out, loose)
  local list, past_main = {}, false
  for line in out:gmatch("[^\n]*") do
    -- gdb names the thread when the process has several, and the
    -- location (1.1) when a name has several (libasan preloaded has an
    -- `add` too)
    local stop = line:match("^Breakpoint [%d.]+, (.*)$")
      or line:match('^Thread %d+ "[^"]*" hit Breakpoint [%d.]+, (.*)$')
    local index, frame = line:match("^#(%d+)%s+(.*)$")
    local value = line:match("^%$%d+ = (.*)$")
      or line:match("^Value returned is %$%d+ = (.*)$")
    -- where a step or finish ended (gdb's frame line without a stop)
    local where = line:match("^[%w_]+ %b() at %S+:%d+$")
      or line:match("^0x%x+ in [%w_]+ %b() at %S+:%d+$")
    local register = line:match("^rip%s+(.*)$")
    local text
    if stop then
      text = "stop " .. frame_text(stop)
    elseif frame then
      if index == "0" then
        past_main = false
      end
      if not past_main then
        text = "frame " .. index .. " " .. frame_text(frame)
      end
      past_main = past_main or frame_text(frame):match("^main ") ~= nil
    elseif value and not loose then
      text = "value " .. value
    elseif where and #list > 0 then -- not where gdb stopped it at attach
      text = "at " .. frame_text(where)
    elseif register then
      text = "rip " .. register
    elseif (line:match("^%d+\t") or line:match("^0x%x+\t%d+\t"))
           and #list > 0 then
      text = "line " .. line
    end
    if text and loose then
      text = text:gsub(" %b()", " ()")
    end
    list[#list + 1] = text
  end
  return list
end

-- Compares snare's records with gdb's; prints and returns the count of
-- records that differ. A known difference is left out and counted
-- apart: gdb names the data symbol a pointer argument points at
-- ("stream=0x7ffff7fa5a80 <_IO_2_1_stdin_>"), snare's frame lines do not.
local function mismatches(what, snare_out, gdb_out, loose)
  local named
  gdb_out, named = gdb_out:gsub("(=0x%x+) <[%w_.]+>", "%1")
  local mine, theirs = records(snare_out, loose), records(gdb_out, loose)
  local wrong = 0
  for i = 1, math.max(#mine, #theirs) do
    if mine[i] ~= theirs[i] then
      wrong = wrong + 1
      if wrong <= 3 then
        io.stderr:write(("  snare: %s\n  gdb:   %s\n")
                        :format(tostring(mine[i]), tostring(theirs[i])))
      end
    end
  end
  io.stderr:write(("attach debug vs gdb -p (%s): %d records, %d mismatches"
                   .. " (known, left out: %d data symbols gdb names)\n")
                  :format(what, #theirs, wrong, named))
  return wrong, #theirs
end

-- The process named `comm` among pid's descendants, or nil.
local function descendant(pid, comm)
  local children = read("/proc/" .. pid .. "/task/" .. pid .. "/children")
  for child in children:gmatch("%d+") do
    if read("/proc/" .. child .. "/comm"):match("^%S+") == comm then
      return child
    end
    local found = descendant(child, comm)
    if found then
      return found
    end
  end
end

local function have_gdb()
  return sh("command -v gdb > /dev/null 2>&1")
end

-- The sums attach_stops prints for `inputs`, after "ready".
local function sums(inputs)
  local lines, total = { "ready" }, 0
  for _, n in ipairs(inputs) do
    total = total + n
    lines[#lines + 1] = "sum " .. total
  end
  lines[#lines + 1] = "bye " .. total
  return table.concat(lines, "\n") .. "\n"
end

describe("snare attach PID debug", function()
  it("stops the program at a breakpoint, as gdb -p does, then lets it run "
     .. "on unchanged", function()
    local commands = { "break add", "continue", "bt", "print n", "print base",
                       "continue", "bt", "print n", "detach" }
    local outs = {}
    -- two processes alike, down to their addresses: one for each debugger
    for _, tool in ipairs(have_gdb() and { "gdb", "snare" } or { "snare" }) do
      local t = start("attach_stops", nil, nil, "setarch -R")
      local run = debugger(t, tool, commands)
      assert.truthy(run.says("Breakpoint 1 at"), tool)
      send(t, "5")
      send(t, "7")
      local out, status, errors = run.wait()
      assert.are.equal(0, status, errors)
      outs[tool] = out
      if tool == "snare" then
        assert.truthy(out:find("Attached to process " .. t.pid, 1, true), out)
      end
      -- detached: no stop any more, the sums as without a debugger
      send(t, "3")
      assert.are.equal(0, finish(t))
      assert.are.equal(sums { 5, 7, 3 }, output(t))
    end
    local out = outs.snare
    assert.truthy(out:find("\nBreakpoint 1, add (base=0, n=5) at "
                           .. "../spec/fixtures/programs/attach_stops.c:11\n11\t", 1, true), out)
    assert.truthy(out:find("\n#1  0x%x+ in main %(%) at " .. src .. "attach_stops.c:20\n"),
                  out)
    assert.truthy(out:find("\n$1 = 5\n$2 = 0\n", 1, true), out)
    assert.truthy(out:find("add (base=5, n=7)", 1, true), out)
    assert.truthy(out:find("Detaching from process", 1, true), out)
    if outs.gdb then
      assert.are.equal(0, (mismatches("attach_stops", out, outs.gdb)))
    end
  end)
end)

describe("snare attach PID debug, stepping", function()
  it("steps, finishes and reads registers of the stopped thread as gdb -p "
     .. "does", function()
    local commands = { "break add", "continue", "next", "finish", "next",
                       "stepi", "info registers rip", "continue", "detach" }
    local outs = {}
    for _, tool in ipairs(have_gdb() and { "gdb", "snare" } or { "snare" }) do
      local t = start("attach_stops", nil, nil, "setarch -R")
      local run = debugger(t, tool, commands)
      assert.truthy(run.says("Breakpoint 1 at"), tool)
      send(t, "4")
      send(t, "5")
      local out, status, errors = run.wait()
      assert.are.equal(0, status, errors)
      outs[tool] = out
      send(t, "6")
      assert.are.equal(0, finish(t))
      assert.are.equal(sums { 4, 5, 6 }, output(t))
    end
    assert.truthy(outs.snare:find("\nValue returned is $1 = 4\n", 1, true),
                  outs.snare)
    if outs.gdb then
      assert.are.equal(0, (mismatches("attach_stops stepping", outs.snare,
                                      outs.gdb)))
    end
  end)
end)

describe("snare attach PID debug, detaching", function()
  it("detaches when snare is told to (SIGTERM) while continue waits, the "
     .. "thread stopped before running on", function()
    local t = start("attach_stops")
    local run = debugger(t, "snare", { "break add", "continue", "continue" })
    assert.truthy(run.says("Breakpoint 1 at"))
    send(t, "4")
    assert.truthy(run.says("Breakpoint 1, add (base=0, n=4)"))
    -- the helper that holds snare's end of the socket, by its id (not
    -- pgrep -f, which blocks on other processes' command lines)
    local helper = descendant(run.pid, "snare_attach")
    assert.truthy(helper)
    assert(sh("kill -TERM " .. helper))
    local out, status, errors = run.wait()
    assert.are.equal(0, status, errors)
    assert.truthy(out:find("Detaching from process", 1, true), out)
    send(t, "6")
    assert.are.equal(0, finish(t))
    assert.are.equal(sums { 4, 6 }, output(t))
  end)
end)

describe("snare attach PID debug on real programs", function()
  it("serves the stops of an echo server's connection threads under load, "
     .. "as gdb -p: every reply right, no connection lost", function()
    local commands = { "break echo_chunk", "continue", "bt", "print size",
                       "continue", "bt", "detach" }
    local outs = {}
    for _, tool in ipairs(have_gdb() and { "gdb", "snare" } or { "snare" }) do
      local t = start("attach_echo")
      local port = output(t):match("port (%d+)")
      local run = debugger(t, tool, commands)
      assert.truthy(run.says("Breakpoint 1 at"), tool)
      local client = assert(io.popen("timeout 120 "
        .. helpers.program("attach_echo_client") .. " " .. port .. " 8 20"))
      local out, status, errors = run.wait()
      assert.are.equal(0, status, errors)
      outs[tool] = out
      local said = client:read("a")
      assert.is_true(client:close(), tool .. ": " .. said)
      assert.are.equal("connections 8 replies 160 wrong 0 lost 0\n", said)
      sh("kill " .. t.pid)
    end
    local out = outs.snare
    assert.truthy(out:find("\nBreakpoint 1, echo_chunk %(fd=%d+, data=0x%x+ "
                           .. '"connection %d+ message %d+\\n", size=%d+%) at '
                           .. "../spec/fixtures/programs/attach_echo.c:%d+\n"), out)
    assert.truthy(out:find("\n#1  0x%x+ in serve %(arg=0x%x+%) at "
                           .. "../spec/fixtures/programs/attach_echo.c:%d+\n"), out)
    assert.truthy(out:find("\n$1 = 2%d\n"), out)
    if outs.gdb then
      assert.are.equal(0, (mismatches("attach_echo", out, outs.gdb, true)))
    end
  end)

  -- Its connection threads hit echo_chunk several at once, with messages
  -- of 23 and 24 bytes: each hit is decided by its own thread, even
  -- while the prompt reads a command (a thread that found Lua taken used
  -- to stop as if the condition held). Three runs: one in a few showed it.
  it("stops an echo server's threads only where a breakpoint's condition "
     .. "holds, however many hit it at once", function()
    local commands = { "break echo_chunk if size == 24", "continue",
                       "print size", "continue", "print size", "detach" }
    for _ = 1, 3 do
      local t = start("attach_echo")
      local port = output(t):match("port (%d+)")
      local run = debugger(t, "snare", commands)
      assert.truthy(run.says("Breakpoint 1 at"))
      local client = assert(io.popen("timeout 120 "
        .. helpers.program("attach_echo_client") .. " " .. port .. " 8 20"))
      local out, status, errors = run.wait()
      assert.are.equal(0, status, errors)
      local said = client:read("a")
      assert.is_true(client:close(), said)
      assert.are.equal("connections 8 replies 160 wrong 0 lost 0\n", said)
      sh("kill " .. t.pid)
      local sizes = {}
      for size in out:gmatch("\nBreakpoint 1, echo_chunk %([^\n]*size=(%d+)%)") do
        sizes[#sizes + 1] = size
      end
      assert.are.same({ "24", "24" }, sizes, out)
      assert.truthy(out:find("\n$1 = 24\n", 1, true), out)
      assert.truthy(out:find("\n$2 = 24\n", 1, true), out)
    end
  end)

  -- bzip2 of the corpus (gcc -O0, -g) compressing its standard input,
  -- fed 5000 bytes (one fread, one BZ2_bzWrite) at a time.
  local function corpus_program(name)
    local found = io.popen("ls -d " .. corpus_bin .. "/*/gcc-O0/" .. name
                           .. " 2>/dev/null | head -1")
    local path = found:read("l")
    found:close()
    return path
  end

  it("stops bzip2 from the corpus, as gdb -p does, its output unchanged",
     function()
    local bzip2 = corpus_program("bzip2")
    if not bzip2 then
      pending("the corpus is not built (tools/corpus/build)")
      return
    end
    local chunk = os.tmpname()
    assert(sh("awk 'BEGIN { for (i = 0; i < 250; i++) printf \"line %015d\\n\", "
              .. "i }' > " .. chunk))
    local expected = os.tmpname()
    assert(sh("cat " .. chunk .. " " .. chunk .. " " .. chunk .. " | " .. bzip2
              .. " -c > " .. expected))
    local commands = { "break BZ2_bzWrite", "continue", "bt", "print len",
                       "continue", "bt", "print len", "print *bzerror",
                       "detach" }
    local outs = {}
    for _, tool in ipairs(have_gdb() and { "gdb", "snare" } or { "snare" }) do
      local t = start(bzip2, "-c", nil, "setarch -R")
      local run = debugger(t, tool, commands)
      assert.truthy(run.says("Breakpoint 1 at"), tool)
      for _ = 1, 3 do
        assert(sh("cat " .. chunk .. " > " .. t.dir .. "/in"))
      end
      local out, status, errors = run.wait()
      assert.are.equal(0, status, errors)
      outs[tool] = out
      assert.are.equal(0, finish(t))
      assert.are.equal(read(expected), output(t))
    end
    os.remove(chunk)
    os.remove(expected)
    local out = outs.snare
    assert.truthy(out:find("\nBreakpoint 1, BZ2_bzWrite (", 1, true), out)
    assert.truthy(out:find("len=5000%) at %S*bzlib.c:%d+\n"), out)
    assert.truthy(out:find("\n#1  0x%x+ in compressStream %("), out)
    assert.truthy(out:find("\n$1 = 5000\n", 1, true), out)
    if outs.gdb then
      assert.are.equal(0, (mismatches("corpus bzip2 gcc-O0", out, outs.gdb)))
    end
  end)
end)
