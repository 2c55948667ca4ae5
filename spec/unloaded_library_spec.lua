-- unloaded_library_spec.lua - breakpoints set through the Lua API in a
-- library the program opened itself (dlopen, here called on the
-- session's worker) and described with snare.load(name, bias), then
-- closed by the program (dlclose): once told (lib:unloaded()) or not,
-- snare writes nothing where the library was, though another mapping
-- (filled with a known byte) holds those pages now; opened again, the
-- library stops at its breakpoints again.
local snare = require "snare"
local helpers = require "spec.helpers"

local RTLD_NOW = 2
local PROT_RW = 3
local MAP_FLAGS = 0x02 | 0x20 | 0x100000 -- private, anonymous, fixed_noreplace
local FILLER = 0x5a

describe("a library the program closes under its breakpoints", function()
  local path = helpers.fixture("late_library")
  local dlopen = assert(snare.core.process_symbol("dlopen"))
  local dlclose = assert(snare.core.process_symbol("dlclose"))
  local mmap = assert(snare.core.process_symbol("mmap"))
  local munmap = assert(snare.core.process_symbol("munmap"))
  local memset = assert(snare.core.process_symbol("memset"))

  local function call(s, fn, ...)
    local stop = s:call(fn, ...)
    assert.equals("exit", stop.kind)
    return stop.return_value
  end

  -- dlopen on the worker; the object described where the loader put it
  -- (a glibc handle is its link_map: l_addr first).
  local function program_opens(s)
    local handle = call(s, dlopen, path, RTLD_NOW)
    assert.is_true(handle ~= 0)
    return handle, assert(snare.load(path, snare.read_u64(handle)))
  end

  -- A mapping over the pages of [from, to), every byte FILLER.
  local function map_over(s, from, to)
    local start = from & ~0xfff
    local length = ((to + 0xfff) & ~0xfff) - start
    assert.equals(start, call(s, mmap, start, length, PROT_RW, MAP_FLAGS, -1,
                              0))
    call(s, memset, start, FILLER, length)
    return start, length
  end

  local function untouched(start, length)
    return snare.read(start, length) == string.rep(string.char(FILLER),
                                                   length)
  end

  for _, told in ipairs { true, false } do
    it((told and "told" or "not told") .. ", writes nothing there and "
       .. "stops again once it is opened again", function()
      local s <close> = snare.session()
      local handle, lib = program_opens(s)
      local by_name = s:breakpoint(lib:symbol("late_add"))
      local by_line = s:breakpoint("late_library.c:10")
      local conditional = s:breakpoint(lib:symbol("late_square"),
                                       { condition = function() return false
                                                     end })
      local stop = s:call(lib:symbol("late_add"), 1, 2)
      assert.equals(by_name.id, stop.breakpoint_id)
      stop = s:continue()
      assert.equals(by_line.id, stop.breakpoint_id)
      assert.equals("exit", s:continue().kind)
      assert.equals(1, conditional.hits)
      local lowest = math.min(by_name.address, by_line.address,
                              conditional.address)
      local highest = math.max(by_name.address, by_line.address,
                               conditional.address)
      call(s, dlclose, handle)
      local start, length = map_over(s, lowest, highest + 16)
      if told then
        lib:unloaded()
        assert.is_true(lib.closed)
        assert.is_true(by_name.cleared and by_line.cleared
                       and conditional.cleared)
      else
        by_name:clear()
        by_line:clear()
        conditional:clear()
        lib:close()
      end
      assert.is_true(untouched(start, length))
      call(s, munmap, start, length)
      -- opened again: its breakpoints, set again, stop again
      local again_handle, again = program_opens(s)
      local again_bp = s:breakpoint(again:symbol("late_add"))
      stop = s:call(again:symbol("late_add"), 3, 4)
      assert.equals(again_bp.id, stop.breakpoint_id)
      stop = s:continue()
      assert.equals("exit", stop.kind)
      assert.equals(19, stop.return_value)
      again_bp:clear()
      again:close()
      call(s, dlclose, again_handle)
    end)
  end
end)
