-- cli_interrupt_spec.lua - Ctrl-C at the `snare debug` prompt, typed
-- into a terminal (tmux): it interrupts a call that loops forever and
-- shows the stop; the call continues and is interrupted again; Ctrl-C at
-- an idle prompt does not end snare. And the API under it:
-- snare.interrupt_on_sigint, a SIGINT to the process.
local snare = require "snare"
local helpers = require "spec.helpers"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local demo = examples .. "/libdemo.so"

local shell_quote, run = helpers.quote, helpers.run

describe("Ctrl-C", function()
  it("interrupts a running call at the prompt, twice, and spares snare",
     function()
    if os.execute("command -v tmux >/dev/null") ~= true then
      pending("tmux is not installed: tools/setup installs it")
      return
    end
    local socket = "snare-interrupt-spec-" .. os.time() .. "-"
                   .. math.random(1e6)
    local function tmux(args)
      return run("env -u LD_PRELOAD tmux -L " .. socket .. " " .. args)
    end
    local env = { "SNARE_HISTORY=/dev/null" }
    for _, name in ipairs { "LUA_PATH", "LUA_CPATH", "SNARE_BUILD",
                            "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS" } do
      if os.getenv(name) then
        env[#env + 1] = name .. "=" .. shell_quote(os.getenv(name))
      end
    end
    local command = "env " .. table.concat(env, " ") .. " bin/snare debug "
                    .. shell_quote(demo)
    finally(function() tmux("kill-server") end)
    tmux("new-session -d -s cli -x 150 -y 50 -c "
         .. shell_quote(os.getenv("PWD") or ".") .. " " .. shell_quote(command))
    tmux("set-option -t cli remain-on-exit on")
    local screen
    local function count(text)
      local n, at = 0, 1
      while true do
        local found = screen:find(text, at, true)
        if not found then
          return n
        end
        n, at = n + 1, found + 1
      end
    end
    -- Waits until text is on the screen `times` times (bounded).
    local function wait_for(text, times)
      for _ = 1, 400 do
        screen = tmux("capture-pane -p -t cli")
        if count(text) >= (times or 1) then
          return
        end
        os.execute("sleep 0.05")
      end
      error("never on the screen: " .. text .. "\n--- screen:\n" .. screen)
    end
    local function type_line(keys)
      tmux("send-keys -t cli -l " .. shell_quote(keys))
      tmux("send-keys -t cli Enter")
    end
    wait_for("(snare)")
    type_line("call spin_forever()")
    os.execute("sleep 0.3")
    tmux("send-keys -t cli C-c")
    wait_for("Program received signal SIGINT, Interrupt.")
    assert.matches("in spin_forever %(%) at demo.c:%d+", screen)
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
    local dead
    for _ = 1, 400 do
      dead = tmux("display-message -p -t cli '#{pane_dead}'")
      if dead:match("^1") then
        break
      end
      os.execute("sleep 0.05")
    end
    assert.equal("1\n", dead)
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
