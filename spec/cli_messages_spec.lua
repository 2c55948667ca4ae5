-- cli_messages_spec.lua - what the prompt says to bad commands names no
-- part of snare's insides: no Lua module ("snare.cli.scope:",
-- "snare.stack_frame:"), no file of snare's own Lua, no traceback.
local helpers = require "spec.helpers"

local bad_commands = {
  "frobnicate", "info frobnicate", "p nosuch", "p 1 +", "p $xmm99",
  "p $xmm0", "info registers", "info frame", "break nosuch",
  "break abi.c:9999", "x/4x 0", "finish", "frame 1", "up",
  "set var abi_scale =", "set var nosuch = 3", "call abi_inner(1, 2)",
  "call abi_inner(\"x\")", "p pair_sum(abi_v)", "p pair_sum(1)",
  "p add_doubles(abi_p, 1)", "p triple_make(1).zz", "p abi_p.zz",
  "p *abi_scale", "p abi_scale[0]", "p (struct nosuch *) 0",
  "ptype struct nosuch", "whatis", "list nosuch", "info line nosuch",
  "disassemble nosuch", "delete 99", "condition 99 x", "ignore 99 1",
  "enable 99", "watch nosuch", "until", "advance", "stepi", "next", "step",
  "continue", "lua error('boom')", "lua nosuch()", "lua local x = 1 +",
  "display nosuch", "info args", "info locals", "info all-registers",
  "info registers nosuch", "kill", "x/s 0", "output nosuch",
  "set timeout x", "show nosuch",
  -- stopped in a call, with an outer frame selected
  "break abi_inner", "call abi_outer(3)", "frame 1", "set var n = 4",
  "set $rax = 1", "p $xmm0.nosuch", "info registers xmm16", "frame 9",
  "x/2i 0", "p sizeof(struct nosuch)", "p 1/0", "p abi_inner(1, 2, 3)",
}

describe("prompt messages", function()
  it("name no module or file of snare's own", function()
    local input = os.tmpname()
    local f = assert(io.open(input, "w"))
    f:write(table.concat(bad_commands, "\n"), "\n")
    f:close()
    local pipe = assert(io.popen(string.format(
      "timeout 60 bin/snare debug %s < %s 2>&1 >/dev/null",
      helpers.fixture("abi", "O2"), input)))
    local errors = pipe:read("a")
    pipe:close()
    os.remove(input)
    local leaks = {}
    for line in errors:gmatch("[^\n]+") do
      if line:match("snare%.[%w_]+") or line:match("%.lua:%d")
         or line:match("lua/snare/") or line:match("traceback") then
        leaks[#leaks + 1] = line
      end
    end
    local count = select(2, errors:gsub("\n", ""))
    print(string.format("prompt messages: %d error lines, %d naming snare's "
                        .. "insides", count, #leaks))
    assert.is_true(count > 40)
    assert.same({}, leaks)
  end)
end)
