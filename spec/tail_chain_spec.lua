-- tail_chain_spec.lua - tail-call frames against gdb 13, on
-- spec/fixtures/tail_chain.c: at -O2 chain_top and chain_middle leave by
-- a jump, and gdb shows them anyway between chain_leaf and its caller,
-- found from the DW_AT_call_tail_call call sites, with the parameters'
-- values at entry read through them; along chain_pick's two paths it
-- shows none. The prompt's `bt` runs in both (snare debug -batch on the
-- library, gdb on a program with it preloaded, the same call made from
-- the prompt) and the frames up to tail_chain_main must read the same,
-- addresses and directories aside.
local helpers = require "spec.helpers"
local gdb_cache = require "spec.gdb_cache"

local program = helpers.program("bare")

local quote, run = helpers.quote, helpers.run

-- The frame lines of each `bt` in out, up to tail_chain_main's, with
-- addresses masked and file names without their directories.
local function backtraces(out)
  local found, current = {}, nil
  for line in out:gmatch("[^\n]*") do
    if line:match("^#0 ") then
      current = {}
      found[#found + 1] = current
    end
    if current and line:match("^#%d") then
      line = line:gsub("0x%x+", "ADDR"):gsub(" at [^ ]*/([^/ ]+:%d+)$", " at %1")
      current[#current + 1] = line
      if line:match(" tail_chain_main ") then current = nil end
    end
  end
  return found
end

local commands = { "break chain_leaf", "call tail_chain_main()", "bt",
                   "continue", "bt" }

local function prompt_backtraces(lib)
  local ex = {}
  for _, c in ipairs(commands) do ex[#ex + 1] = "-ex " .. quote(c) end
  local snare_out = run(string.format("timeout 60 bin/snare debug -batch %s %s",
                                      table.concat(ex, " "), quote(lib)))
  local gdb_out = gdb_cache.run(run, string.format(
    -- gdb without the sanitizer runtime the ASan run preloads
    "timeout 120 env -u LD_PRELOAD gdb -nx -batch -ex 'set pagination off' "
    .. "-ex %s -ex 'break main' -ex run %s %s",
    quote("set environment LD_PRELOAD=" .. lib), table.concat(ex, " "),
    quote(program)))
  return backtraces(snare_out), backtraces(gdb_out)
end

-- info frame and rsp, rdi, rbx in every frame of a stop in chain_leaf of
-- a program built of spec/fixtures/tail_chain.c at -O2 (chain_top and
-- chain_middle are tail-call frames there), each address replaced by the
-- order in which it first appears, so that equal addresses read equal (a
-- tail-call frame is at its callee's address, its rsp its callee's cfa,
-- its rdi its callee's) while the two processes' differ.
local function info_frames(debugger)
  local ex = {}
  local steps = { "break chain_leaf", "run" }
  for level = 0, 4 do
    for _, c in ipairs { "frame " .. level, "info frame",
                         "info registers rsp rdi rbx" } do
      steps[#steps + 1] = c
    end
  end
  for _, c in ipairs(steps) do
    ex[#ex + 1] = "-ex " .. quote(c)
  end
  local out = run(debugger:format(table.concat(ex, " ")))
  local seen, count, lines = {}, 0, {}
  for line in out:gmatch("[^\n]*") do
    if line:match("^Stack level") or line:match("^ %a") or line:match("^  %a")
       or line:match("^r[sdb][pix] ") then
      line = line:match("^(r%a+%s+%S+)") or line -- (not rbx's in decimal)
      line = line:gsub("0x%x+", function(hex)
        if not seen[hex] then
          count = count + 1
          seen[hex] = "A" .. count
        end
        return seen[hex]
      end):gsub("%(%S*/", "(")
      lines[#lines + 1] = line
    end
  end
  return lines, out
end

describe("tail-call frames against gdb", function()
  it("info frame in tail-call frames and their neighbours, as gdb's",
     function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local f = assert(io.open(dir .. "/main.c", "w"))
    f:write("int tail_chain_main(void);\n"
            .. "int main(void) { return tail_chain_main() & 0; }\n")
    f:close()
    local prog = dir .. "/prog"
    assert(os.execute(("gcc -g -O2 -Ispec/fixtures -o %s %s/main.c "
                       .. "spec/fixtures/tail_chain.c"):format(prog, dir)))
    local ours, out = info_frames("timeout 60 bin/snare debug -batch %s "
                                  .. quote(prog))
    local gdbs = info_frames("timeout 120 env -u LD_PRELOAD gdb -nx -batch "
                             .. "%s " .. quote(prog))
    os.execute("rm -rf " .. dir)
    local tail = 0
    for _, line in ipairs(gdbs) do
      if line:match("^ tail call frame") then tail = tail + 1 end
    end
    assert.equal(2, tail) -- chain_middle and chain_top
    print(("info frame against gdb: %d lines compared"):format(#gdbs))
    assert.same(gdbs, ours, out)
  end)

  for _, level in ipairs { "O2", "O0" } do
    it("the prompt's bt shows the frames gdb shows (" .. level .. ")",
       function()
      local lib = helpers.fixture("tail_chain", level)
      local ours, gdbs = prompt_backtraces(lib)
      assert.equal(2, #gdbs)
      assert.same(gdbs, ours)
      if level == "O2" then -- the chain is there, and only through jumps
        assert.equal(4, #gdbs[1])
        assert.equal(2, #gdbs[2])
      end
    end)
  end

  describe("through the Lua API (O2)", function()
    local lib
    setup(function() lib = helpers.load("tail_chain", "O2") end)
    after_each(helpers.close_sessions)
    teardown(function() lib:close() end)

    it("marks the frames of functions left by a tail call", function()
      local s = helpers.session()
      s:breakpoint("chain_leaf")
      assert.equal("breakpoint", s:call("tail_chain_main").kind)
      local seen = {}
      for _, f in ipairs(s:backtrace()) do
        seen[#seen + 1] = { f.func, f.tail_call }
      end
      assert.same({ { "chain_leaf", false }, { "chain_middle", true },
                    { "chain_top", true }, { "tail_chain_main", false } },
                  seen)
      -- gdb: x=x@entry=7 in chain_leaf, x=x@entry=42 in chain_middle and
      -- x=x@entry=21 in chain_top, each value at entry told by the call
      -- site of the tail call that entered it; chain_middle's (DW_OP_breg5)
      -- in rdi of its tail-call frame, which is chain_leaf's.
      local entries = {}
      for i = 1, 3 do
        local p = s:backtrace()[i]:params()[1]
        entries[#entries + 1] = { p.value, p.entry }
      end
      assert.same({ { 7, 7 }, { 42, 42 }, { 21, 21 } }, entries)
    end)

    it("shows none where two paths of tail calls lead to the callee",
       function()
      local s = helpers.session()
      s:breakpoint("chain_leaf")
      s:call("tail_chain_main")
      local stop = s:continue()
      assert.equal("breakpoint", stop.kind)
      local names = {}
      for _, f in ipairs(s:backtrace()) do names[#names + 1] = f.func end
      assert.same({ "chain_leaf", "tail_chain_main" }, names)
    end)
  end)
end)
