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

local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function run(command)
  local pipe = assert(io.popen(command .. " 2>&1"))
  local out = pipe:read("a")
  pipe:close()
  return out
end

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
        -- the prompt does not write gdb's x=x@entry=V form (yet)
        :gsub("(%w+)=%1@entry=", "%1=")
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

describe("tail-call frames against gdb", function()
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
      -- gdb: x=x@entry=42 in chain_middle and x=x@entry=21 in chain_top,
      -- each value at entry told by the call site of the tail call that
      -- entered it. (chain_leaf's x@entry=7 gdb reads from the innermost
      -- frame's rdi, which snare does not take for an outer frame's.)
      local entries = {}
      for i = 2, 3 do
        local p = s:backtrace()[i]:params()[1]
        entries[#entries + 1] = { p.value, p.entry }
      end
      assert.same({ { 42, 42 }, { 21, 21 } }, entries)
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
