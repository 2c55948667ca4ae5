-- install_spec.lua - the rockspec installs everything bin/snare runs:
-- `luarocks --lua-version 5.4 make` into a tree of its own, then the
-- installed snare, with nothing of the checkout on its paths, holds a
-- program at its first instruction (`starti`: the helper snare_start)
-- and attaches to a running one (`snare attach`: snare_attach and the
-- agent), as the checkout's does. (lpeg is Debian's lua-lpeg, on the
-- interpreter's default path: --deps-mode=none asks no server.)
local helpers = require "spec.helpers"
local ah = require("spec.attach_helpers").new {
  finally = function(fn) finally(fn) end,
}

local tree = os.tmpname()
os.remove(tree)

local sh = helpers.run

-- The installed snare with the tree's Lua paths and none of the
-- checkout's (nor the sanitizer runtime: the rockspec builds release).
local installed = table.concat({
  "env -u SNARE_BUILD -u SNARE_AGENT -u SNARE_ATTACH_HELPER -u LD_PRELOAD",
  helpers.quote("LUA_PATH=" .. tree .. "/share/lua/5.4/?.lua;" .. tree
                .. "/share/lua/5.4/?/init.lua;;"),
  helpers.quote("LUA_CPATH=" .. tree .. "/lib/lua/5.4/?.so;;"),
  tree .. "/bin/snare" }, " ")

describe("the rockspec", function()
  setup(function()
    local out, err, status = helpers.run_apart(
      "timeout 600 luarocks --lua-version 5.4 make --tree=" .. tree
      .. " --deps-mode=none snare-scm-1.rockspec")
    assert(status == 0, out .. err)
  end)
  teardown(function()
    sh("rm -rf " .. tree)
  end)

  it("installs the agent and both helpers beside the module", function()
    local lib = tree .. "/lib/lua/5.4/snare/"
    for _, file in ipairs { "core.so", "snare_agent.so", "snare_attach",
                            "snare_start" } do
      assert.truthy(os.execute("test -x " .. lib .. file), file)
    end
  end)

  it("installs a snare whose starti holds the program", function()
    local out = sh(installed .. " debug -batch -ex starti -ex 'info symbol $pc'"
                   .. " -- " .. helpers.program("debug_program"))
    assert.matches("Program stopped%.\n0x%x+ in _start %(%) from "
                   .. "/lib64/ld%-linux%-x86%-64%.so%.2\n", out)
  end)

  it("installs a snare that attaches to a running program", function()
    local t = ah.start("attach_counter")
    local _, errors, status = ah.attach(t, "profile --duration 1 -f counts",
                                        nil, installed)
    assert.equal(0, status, errors)
    assert.matches("attached to process " .. t.pid, errors)
    -- (the module the process loaded is the installed one)
    assert.truthy(errors:find(tree .. "/lib/lua/5.4/snare/core.so", 1, true),
                  errors)
    ah.kill(t)
  end)
end)
