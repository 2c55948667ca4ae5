-- plt_names_spec.lua - PLT entries named as gdb 13 names them
-- ("getenv@plt"), with gdb as the oracle on the same programs: the
-- library of spec/fixtures/tail_calls.c built at -O2 (tail_getenv is
-- `jmp getenv@plt`) once with lazy binding and once with -z now, linked
-- into a program that calls tail_calls_main. Compared: the name of every
-- address of tail_getenv's PLT entry (`info symbol`), the jump's target
-- as `x/i` shows it, the frame a `break getenv@plt` stops in, and the
-- step/next sequences from `break tail_getenv` and `break getenv@plt`
-- (gdb's `next` over the tail call stops in getenv@plt; with lazy
-- binding its next `next` stops in PLT0, which has no name, and the one
-- after fails: "Cannot find bounds of current function").
local helpers = require "spec.helpers"

local root = assert(os.getenv("PWD"))
local work = os.tmpname()
os.remove(work)
assert(os.execute("mkdir -p " .. work))

local function sh(command)
  local pipe = assert(io.popen(command .. " 2>&1"))
  local out = pipe:read("a")
  pipe:close()
  return out
end

local function build(binding)
  local lib = ("%s/lib%s.so"):format(work, binding)
  local prog = ("%s/prog-%s"):format(work, binding)
  assert(os.execute(("gcc -g -O2 -shared -fPIC -fplt -I%s/spec/fixtures -o %s "
                     .. "%s/spec/fixtures/tail_calls.c -Wl,-z,%s"):format(
    root, lib, root, binding)))
  local main = work .. "/main.c"
  local f = assert(io.open(main, "w"))
  f:write("int tail_calls_main(void);\n"
          .. "int main(void) { return tail_calls_main() & 0; }\n")
  f:close()
  assert(os.execute(("gcc -g -O0 -o %s %s %s -Wl,-z,%s"):format(
    prog, main, lib, binding)))
  return lib, prog
end

local GDB = "env -u LD_PRELOAD gdb -nx -batch -iex 'set debug-file-directory /nonexistent' "
  .. "-iex 'set debuginfod enabled off' -ex 'set pagination off' "
  .. "-ex 'set breakpoint pending on' "

local function gdb_steps(prog, func, command)
  local out = sh(("STEP_COMMAND=%s STEP_COUNT=10 %s -ex 'break %s' -ex run "
                  .. "-ex 'source %s/spec/stepping_oracle/gdb_steps.py' %s")
    :format(command, GDB, func, root, prog))
  return assert(out:match("SEQ ([^\n]*)"), out)
end

-- The snare side, under `snare exec`: the same stops written as
-- gdb_steps.py writes them (no name: "None", no line: 0; a step that
-- fails ends the sequence as "exit").
local SCRIPT = [[
local agent = require "snare.agent"
local snare = require "snare"
local report = require "snare.cli.report"
snare.debug_file_directory("/nonexistent")
local _libc <close> = assert(snare.load("libc.so.6"))
local _lib <close> = assert(snare.load(agent.args[1]))
local s = agent.session
local func, command = agent.args[2], agent.args[3]
local function where(st)
  if st.kind == "exit" or st.func == "main" then return "exit" end
  return ("%s:%s"):format(st.func or "None", st.line or 0)
end
if command == "names" then
  local tail = assert(snare.symbol("tail_getenv"))
  local jump = assert(snare.disassemble(tail, 1))[1]
  print("XI " .. report.instruction_text(jump))
  local stub = tonumber(jump.text:match("0x(%x+)"), 16)
  for offset = 0, 15 do
    print(("AT %d %s"):format(offset, snare.describe(stub + offset)))
  end
  s:breakpoint("getenv@plt")
  print("STOP " .. where(s:call_main("main", { "prog" })))
else
  s:breakpoint(func)
  local stop = s:call_main("main", { "prog" })
  local seq = { where(stop) }
  for _ = 1, 10 do
    if seq[#seq] == "exit" then break end
    local ok, result = pcall(s[command == "step" and "step_line" or "next"], s)
    stop = ok and result or { kind = "exit" }
    seq[#seq + 1] = where(stop)
  end
  print("SEQ " .. table.concat(seq, " "))
end
io.stdout:flush()
pcall(s.abort, s)
os.exit(0)
]]
local script = work .. "/steps.lua"
local f = assert(io.open(script, "w"))
f:write(SCRIPT)
f:close()

local function snare_run(lib, prog, func, command)
  return sh(("cd %s && timeout 120 bin/snare exec %s %s %s %s -- %s"):format(
    root, script, lib, func, command, prog))
end

-- "name+offset" as gdb's `info symbol` gives it ("getenv@plt + 4 in
-- section .plt of ...") and snare.describe writes it.
local function gdb_names(prog, stub)
  local commands = {}
  for offset = 0, 15 do
    commands[#commands + 1] = ("-ex 'info symbol 0x%x'"):format(stub + offset)
  end
  local out = sh(("%s -ex 'break tail_getenv' -ex run %s %s"):format(
    GDB, table.concat(commands, " "), prog))
  local names = {}
  for name, plus in out:gmatch("\n([%w_@.]+) ?%+? ?(%d*) in section") do
    names[#names + 1] = plus ~= "" and (name .. "+" .. plus) or name
  end
  return names, out
end

local mismatches, compared = 0, 0
local function compare(what, gdb, snare)
  compared = compared + 1
  if gdb ~= snare then
    mismatches = mismatches + 1
    print(("plt names oracle: %s: gdb %q, snare %q"):format(what, gdb, snare))
  end
  return gdb, snare
end

for _, binding in ipairs { "lazy", "now" } do
  describe("PLT entry names against gdb, " .. binding .. " binding", function()
    local lib, prog
    setup(function() lib, prog = build(binding) end)

    it("names each address of the entry, the jump to it and a stop in it",
       function()
      local before = mismatches
      local out = snare_run(lib, prog, "-", "names")
      local xi = assert(out:match("XI ([^\n]*)"), out)
      local gdb_xi = sh(("%s -ex 'break tail_calls_main' -ex run "
                         .. "-ex 'x/i tail_getenv' %s"):format(GDB, prog))
      local target, name = gdb_xi:match("jmp%s+0x(%x+) <([^>]+)>")
      assert.equal("getenv@plt", compare("x/i target", name,
                                         xi:match("<([^>]+)>")))
      local gdb, gdb_out = gdb_names(prog, tonumber(target, 16))
      assert.equal(16, #gdb, gdb_out)
      for offset = 0, 15 do
        compare("info symbol +" .. offset, gdb[offset + 1],
                out:match("AT " .. offset .. " (%S+)"))
      end
      local gdb_stop = sh(("%s -ex 'break getenv@plt' -ex run -ex 'bt 1' %s")
        :format(GDB, prog)):match("#0%s+0x%x+ in (%S+) %(%)")
      assert.equal("getenv@plt",
                   compare("break getenv@plt: frame", gdb_stop,
                           (out:match("STOP (%S+)") or ""):match("^[^:]*")))
      assert.equal(before, mismatches)
    end)

    for _, run in ipairs { "tail_getenv step", "tail_getenv next",
                           "getenv@plt step", "getenv@plt next" } do
      local func, command = run:match("(%S+) (%S+)")
      it(("steps as gdb does from break %s, %s"):format(func, command),
         function()
        local gdb = gdb_steps(prog, func, command)
        local out = snare_run(lib, prog, func, command)
        local snare = assert(out:match("SEQ ([^\n]*)"), out)
        assert.equal(compare(binding .. " " .. run, gdb, snare))
      end)
    end

    -- The prompt of `snare debug -- PROG` and gdb, their whole output:
    -- `next` from the stub runs it out ("Single stepping until exit from
    -- function getenv@plt, which has no line number information."), lands
    -- in PLT0 with lazy binding ("0x... in ?? () from LIB": a frame
    -- without sources in a shared object names it), where a `next` fails
    -- as gdb's ("Cannot find bounds of current function").
    it("next through the stub at the prompt says what gdb says", function()
      local commands = { "break main", "run", "break tail_getenv",
                         "continue", "next", "next", "next", "next", "bt" }
      local function said(words)
        local lines = {}
        for line in sh(table.concat(words, " ")):gmatch("[^\n]*") do
          if line ~= "" and not line:match("^%[") and
             not line:match("^Using host libthread_db") then
            lines[#lines + 1] = line:gsub("0x%x+", "0x")
          end
        end
        return lines
      end
      local ex = {}
      for _, c in ipairs(commands) do
        ex[#ex + 1] = "-ex '" .. c .. "'"
      end
      local gdb = said { GDB, table.concat(ex, " "), prog }
      local ours = said { "bin/snare debug -batch -ex 'set debug-file-directory "
                          .. "/nonexistent'", table.concat(ex, " "), "--", prog }
      print(("%s binding, next at the prompt: %d lines of gdb's"):format(
        binding, #gdb))
      assert.same(gdb, ours)
    end)
  end)
end

-- Every entry objdump names (BFD's synthetic symbols, gdb's too) in the
-- PLT sections of file, as {link-time address, name}; PLT0's label
-- ("x@plt-0x10") is no name of its own.
local function objdump_entries(file)
  local out = sh("objdump -d -j .plt -j .plt.sec -j .plt.got " .. file)
  local entries = {}
  for address, name in out:gmatch("\n(%x+) <([^>\n]+@plt)>:") do
    entries[#entries + 1] = { tonumber(address, 16), name }
  end
  return entries
end

describe("PLT entry names against objdump (BFD)", function()
  local snare = require "snare"

  local function compare_object(lib, file)
    local entries = objdump_entries(file)
    assert.is_true(#entries > 0, file)
    local first = assert(lib:symbol(entries[1][2]), entries[1][2])
    local bias = first - entries[1][1]
    local before = mismatches
    for _, entry in ipairs(entries) do
      compare(file .. " " .. entry[2], entry[2],
              snare.describe(bias + entry[1]))
    end
    assert.equal(before, mismatches)
  end

  it("names every PLT entry of the C library (IRELATIVE slots as "
     .. "*ABS*+0x...@plt)", function()
    snare.debug_file_directory("/nonexistent")
    local libc <close> = assert(snare.load("libc.so.6"))
    local path = sh("gcc -print-file-name=libc.so.6"):gsub("%s+$", "")
    compare_object(libc, path)
    snare.debug_file_directory(nil)
  end)

  it("names every PLT entry of a fixture library, .plt.got's too",
     function()
    local path = helpers.fixture("tail_calls", "O2")
    local lib <close> = assert(snare.load(path))
    compare_object(lib, path)
  end)
end)

teardown(function()
  print(("plt names oracle: %d compared, %d mismatches"):format(compared,
                                                               mismatches))
  os.execute("rm -rf " .. work)
  helpers.close_sessions()
end)
