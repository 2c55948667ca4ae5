-- symbols_spec.lua - finding a library's functions without help: aliases
-- listed and counted once, stripped objects by their dynamic symbols and
-- their unwind table, cold parts and IFUNC resolvers left out
-- (spec/fixtures/aliases.c).
local snare = require "snare"
local helpers = require "spec.helpers"

-- A stripped copy of a fixture library (strip keeps .dynsym and
-- .eh_frame, drops .symtab and the DWARF).
local function stripped_copy(level)
  local copy = os.tmpname() .. ".so"
  assert(os.execute(("strip -o %s %s"):format(copy,
                                               helpers.fixture("aliases", level))))
  return copy
end

-- {name = address} of lib:functions(), asserting names are unique.
local function functions_of(lib)
  local by_name, addresses = {}, {}
  for _, fn in ipairs(lib:functions()) do
    assert.is_nil(by_name[fn.name], "listed twice: " .. fn.name)
    assert.is_nil(addresses[fn.address], "address listed twice: " .. fn.name)
    by_name[fn.name], addresses[fn.address] = fn.address, true
  end
  return by_name
end

-- Calls aliases_call(5) on a session under a tally of lib's functions;
-- returns {name = calls}.
local function tally_call(lib)
  local t <close> = snare.tally(lib)
  local s <close> = snare.session()
  local stop = s:call(lib:symbol("aliases_call"), 5)
  assert.equal("exit", stop.kind)
  assert.equal(21, stop.value)
  local calls = {}
  for _, row in ipairs(t:report()) do
    calls[row.name] = row.calls
  end
  return calls
end

describe("the split-off cold part of a function (O2)", function()
  it("keeps its symbol but is not listed as a function", function()
    local lib <close> = helpers.load("aliases", "O2")
    local cold = assert(lib:symbol("aliases_guarded.cold"))
    assert.is_true(lib:symbol_info("aliases_guarded.cold").is_function)
    for _, fn in ipairs(lib:functions()) do
      assert.not_equal(cold, fn.address)
    end
  end)
end)

for _, level in ipairs { "O0", "O2" } do
  describe("functions with several names (" .. level .. ")", function()
    it("are listed once, under the global name without underscores",
       function()
      local lib <close> = helpers.load("aliases", level)
      local real = lib:symbol("aliases_real")
      assert.equal(real, lib:symbol("__aliases_twin"))
      assert.equal(real, lib:symbol("aliases_weak"))
      assert.same({ aliases_real = real,
                    aliases_hidden = lib:symbol("aliases_hidden"),
                    aliases_call = lib:symbol("aliases_call"),
                    aliases_guarded = lib:symbol("aliases_guarded"),
                    aliases_fail = lib:symbol("aliases_fail"),
                    aliases_impl = lib:symbol("aliases_impl") },
                  functions_of(lib))
      assert.equal("aliases_real", lib:symbol_at(real).name)
    end)

    it("are hooked and counted once", function()
      local lib <close> = helpers.load("aliases", level)
      assert.same({ aliases_call = 1, aliases_real = 1, aliases_hidden = 1,
                    aliases_guarded = 0, aliases_fail = 0, aliases_impl = 0 },
                  tally_call(lib))
    end)
  end)

  describe("a stripped library (" .. level .. ")", function()
    it("has its exported functions by their dynamic symbols and its "
       .. "static ones by their unwind table entries", function()
      local offset, impl
      do
        local lib <close> = helpers.load("aliases", level)
        offset = lib:symbol("aliases_hidden") - lib.base
        impl = lib:symbol("aliases_impl") - lib.base
      end
      local path = stripped_copy(level)
      local lib <close> = assert(snare.load(path))
      os.remove(path)
      assert.is_nil((lib:symbol("aliases_hidden")))
      local hidden = ("sub_%x"):format(offset)
      assert.same({ aliases_real = lib:symbol("aliases_real"),
                    aliases_call = lib:symbol("aliases_call"),
                    aliases_guarded = lib:symbol("aliases_guarded"),
                    aliases_fail = lib:symbol("aliases_fail"),
                    [hidden] = lib.base + offset,
                    [("sub_%x"):format(impl)] = lib.base + impl },
                  functions_of(lib))
      assert.equal(lib.base + offset, lib:symbol(hidden))
      assert.same({ aliases_call = 1, aliases_real = 1, [hidden] = 1,
                    aliases_guarded = 0, aliases_fail = 0,
                    [("sub_%x"):format(impl)] = 0 },
                  tally_call(lib))
    end)
  end)
end
