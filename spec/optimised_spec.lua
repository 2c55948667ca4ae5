-- optimised_spec.lua - values of optimised code as gdb shows them, on
-- spec/fixtures/optimised.c: a static local table of a shared object (its
-- DW_OP_addr is a link-time address), a parameter known only by its value
-- at entry (DW_OP_entry_value, from the caller's call site), and a local
-- of a block that owns no code (gdb lists it, optimised out), an implicit
-- pointer (DW_OP_implicit_pointer: gdb's <synthetic pointer>), the frame
-- a breakpoint stops in where inlined calls begin; and steps
-- around an inlined call as gdb 13 takes them (the sequences are gdb's).
local helpers = require "spec.helpers"

local function mark(name)
  local n = 0
  for text in io.lines("spec/fixtures/optimised.c") do
    n = n + 1
    if text:find("MARK: " .. name, 1, true) then return n end
  end
  error("no MARK: " .. name)
end

-- The entry of list named name, or nil.
local function entry(list, name)
  for _, e in ipairs(list) do
    if e.name == name then return e end
  end
end

for _, level in ipairs{ "O0", "O2" } do
  describe("optimised code at " .. level, function()
    local lib

    setup(function()
      lib = helpers.load("optimised", level)
    end)

    after_each(helpers.close_sessions)

    teardown(function()
      lib:close()
    end)

    -- The innermost frame at the MARK line, calling fn(...).
    local function stop_at(name, fn, ...)
      local s = helpers.session{ timeout = 10000 }
      s:breakpoint("optimised.c:" .. mark(name))
      assert.equals("breakpoint", s:call(fn, ...).kind)
      return s:backtrace()[1]
    end

    it("reads a static local table of the library where it was loaded",
       function()
      local f = stop_at("table", "static_table", 3)
      assert.same({ 3, 4, 5, 6, 7, 8, 9, 10 }, f:var("table"))
      assert.same({ 3, 4, 5, 6, 7, 8, 9, 10 }, entry(f:locals(), "table").value)
    end)

    it("reads a parameter by its value at entry, from the caller", function()
      local f = stop_at("after-use", "entry_caller")
      assert.equals(5, f:var("x"))
      assert.equals(5, entry(f:params(), "x").value)
    end)

    -- gdb 13's info locals at the mark: the block's locals in the order
    -- of its hash table, then the function's (at -O2 mix is inlined and
    -- gdb also lists the abstract function's locals, optimised out).
    it("lists a block's locals in gdb's order", function()
      local f = stop_at("block-locals", "block_locals", 5)
      local names = {}
      for _, e in ipairs(f:locals()) do names[#names + 1] = e.name end
      local want = "a c e b d f r"
      if level == "O2" then
        want = want .. " r a b c d e f"
      end
      assert.equals(want, table.concat(names, " "))
      assert.equals(15, entry(f:locals(), "c").value)
    end)

    if level == "O2" then
      -- func:line of each stop of `break inline_steps` then count commands.
      local function steps(command, count)
        local s = helpers.session{ timeout = 10000 }
        s:breakpoint("inline_steps")
        local stop = s:call("inline_steps", 4)
        local seq = { stop.func .. ":" .. stop.line }
        for _ = 1, count do
          stop = s[command](s)
          if stop.kind == "exit" then
            seq[#seq + 1] = "exit"
            break
          end
          seq[#seq + 1] = stop.func .. ":" .. stop.line
        end
        return table.concat(seq, " ")
      end

      it("steps to an inlined call's call site, then into its body",
         function()
        local call, after = mark("inline-call"), mark("inline-after")
        local store = mark("twice-store")
        assert.equals(string.format(
          "inline_steps:%d inline_steps:%d twice:%d inline_steps:%d " ..
          "twice:%d inline_steps:%d inline_steps:%d", call - 1, call,
          store - 1, call, store, after, after + 1), steps("step_line", 6))
      end)

      it("steps over an inlined call with next", function()
        local call = mark("inline-call")
        assert.equals(string.format(
          "inline_steps:%d inline_steps:%d inline_steps:%d inline_steps:%d " ..
          "exit", call - 1, call, call + 1, call + 2), steps("next", 6))
      end)

      it("finishes an inlined frame to its caller, with no value", function()
        local s = helpers.session{ timeout = 10000 }
        s:breakpoint("optimised.c:" .. mark("twice-store"))
        s:call("inline_steps", 4)
        local bt = s:backtrace()
        assert.equals("twice", bt[1].func)
        assert.is_true(bt[1].inlined)
        assert.equals("inline_steps", bt[2].func)
        assert.equals(mark("inline-call"), bt[2].line)
        local stop = s:finish()
        assert.equals("inline_steps", stop.func)
        assert.equals(mark("inline-after"), stop.line)
        assert.is_nil(stop.value)
        assert.equals("inline_steps", s:backtrace()[1].func)
      end)

      -- gdb 13: the return address begins the inlined store, and finish
      -- (its breakpoint no user's) shows the stop in store's caller
      it("finishes to a return address where an inlined call begins",
         function()
        local s = helpers.session{ timeout = 10000 }
        s:breakpoint("optimised_use")
        assert.equals("breakpoint", s:call("finish_to_inline", 5).kind)
        local stop = s:finish()
        assert.equals("step", stop.kind)
        assert.equals("finish_to_inline", stop.func)
        assert.equals(mark("finish-to-inline"), stop.line)
        assert.equals(5, stop.value)
        local bt = s:backtrace()
        assert.equals("finish_to_inline", bt[1].func)
        assert.is_falsy(bt[1].inlined)
      end)

      it("lists a local of a block without code, optimised out", function()
        local f = stop_at("blockless", "blockless", 2)
        local gone = entry(f:locals(), "gone")
        assert.is_not_nil(gone)
        assert.is_nil(gone.value)
        assert.equals("optimized out", gone.problem)
        assert.equals(3, entry(f:locals(), "r").value)
      end)

      -- gdb 13's first stop (frame lines up to starts_inline) of each
      -- breakpoint where starts_inline begins inside the inlined add_one:
      -- `break starts_inline` hides the inlined frame, the others stop in
      -- it.
      it("shows the frame a breakpoint was set for where inlined calls begin",
         function()
        local call, body = mark("starts-inline"), mark("add-one")
        local function frames(spec)
          local s = helpers.session{ timeout = 10000 }
          s:breakpoint(spec)
          local stop = s:call("starts_inline", 4)
          local seen = { stop.func .. ":" .. stop.line }
          for _, f in ipairs(s:backtrace()) do
            seen[#seen + 1] = f.func .. ":" .. f.line
            if f.func == "starts_inline" then break end
          end
          helpers.close_sessions()
          return table.concat(seen, " ")
        end
        local at = "starts_inline:" .. call
        assert.equals(at .. " " .. at, frames("starts_inline"))
        local inlined = "add_one:" .. call .. " add_one:" .. call .. " " .. at
        assert.equals(inlined, frames("add_one"))
        assert.equals(inlined, frames("optimised.c:" .. call))
        assert.equals("add_one:" .. body .. " add_one:" .. body .. " " .. at,
                      frames("optimised.c:" .. body))
      end)

      -- gdb 13 at `break optimised_use`, `up`: "through_pointer
      -- (p=<synthetic pointer>)", `print p` "(const int *) <synthetic
      -- pointer>", `print *p` 12.
      it("shows an implicit pointer as gdb's <synthetic pointer>, *p read",
         function()
        local s = helpers.session{ timeout = 10000 }
        s:breakpoint("optimised_use")
        assert.equals("breakpoint", s:call("implicit_pointer", 4).kind)
        local f = s:backtrace()[2]
        assert.equals("through_pointer", f.func)
        local p = entry(f:params(), "p")
        assert.is_nil(p.value)
        assert.equals("synthetic pointer", p.problem)
        assert.matches("^through_pointer %(p=<synthetic pointer>%)",
                       tostring(f))
        local _, text = f:eval("p")
        assert.equals("(const int *) <synthetic pointer>", text)
        assert.equals(12, (f:eval("*p")))
      end)
    end
  end)
end
