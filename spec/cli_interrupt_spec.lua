-- cli_interrupt_spec.lua - Ctrl-C at the `snare debug` prompt, typed
-- into a terminal (tmux): it interrupts a call that loops forever and
-- shows the stop; the call continues and is interrupted again; Ctrl-C at
-- an idle prompt does not end snare. And the API under it:
-- snare.interrupt_on_sigint, a SIGINT to the process.
local snare = require "snare"
local helpers = require "spec.helpers"
local terminal = require "spec.terminal_helpers"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local demo = examples .. "/libdemo.so"

local shell_quote, run = helpers.quote, helpers.run

describe("Ctrl-C", function()
  it("interrupts a running call at the prompt, twice, and spares snare",
     function()
    if not terminal.available() then
      pending("tmux is not installed: tools/setup installs it")
      return
    end
    local t = terminal.new("snare-interrupt-spec")
    local tmux, wait_for, type_line = t.tmux, t.wait_for, t.type_line
    local command = terminal.env({ "SNARE_HISTORY=/dev/null" },
                                 { "LUA_PATH", "LUA_CPATH", "SNARE_BUILD",
                                   "LD_PRELOAD", "ASAN_OPTIONS",
                                   "UBSAN_OPTIONS" })
                    .. " bin/snare debug " .. shell_quote(demo)
    finally(function() tmux("kill-server") end)
    t.start(command)
    wait_for("(snare)")
    type_line("call spin_forever()")
    os.execute("sleep 0.3")
    tmux("send-keys -t cli C-c")
    wait_for("Program received signal SIGINT, Interrupt.")
    assert.matches("in spin_forever %(%) at ../examples/targets/demo.c:%d+",
                   t.screen)
    type_line("continue")
    os.execute("sleep 0.3")
    tmux("send-keys -t cli C-c")
    wait_for("Program received signal SIGINT, Interrupt.", 2)
    -- idle: two more Ctrl-C, and the prompt still answers
    tmux("send-keys -t cli C-c")
    tmux("send-keys -t cli C-c")
    type_line("print 6 * 7")
    wait_for("$1 = 42")
    type_line("kill")
    wait_for("[call aborted]")
    type_line("quit")
    assert.equal("1\n", t.wait_dead())
  end)

  it("snare.interrupt_on_sigint: a SIGINT interrupts the running call",
     function()
    local _lib <close> = assert(snare.load(demo))
    local s <close> = helpers.session()
    snare.interrupt_on_sigint(s)
    finally(function() snare.interrupt_on_sigint() end)
    snare.sigints()
    -- a shell in the background sends the signal while the call runs
    os.execute(string.format("(sleep 0.3; kill -INT %d) &",
                             tonumber(run("echo $PPID"):match("%d+"))))
    local stop = s:call("spin_forever")
    assert.equal("interrupt", stop.kind)
    assert.equal(1, snare.sigints())
    s:abort()
  end)
end)
