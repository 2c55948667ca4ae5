-- terminal_helpers.lua - snare's prompt in a terminal as a person types
-- at it (tmux): what the specs that drive one share (cli_spec,
-- cli_interrupt_spec).
local helpers = require "spec.helpers"

local quote = helpers.quote

local M = {}

--- True when tmux is installed.
function M.available()
  return os.execute("command -v tmux >/dev/null") == true
end

--- "env SETTING... NAME=VALUE...": `settings` (words quoted already) and
-- those of the variables `names` that are set, as they are.
function M.env(settings, names)
  local env = { table.unpack(settings) }
  for _, name in ipairs(names) do
    if os.getenv(name) then
      env[#env + 1] = name .. "=" .. quote(os.getenv(name))
    end
  end
  return "env " .. table.concat(env, " ")
end

--- A terminal: a tmux server of its own (its socket named after `name`)
-- whose session "cli" `t.start(command)` starts. `t.tmux(args)` runs a
-- tmux command on it; `t.wait_for(text, times)` waits (bounded) until
-- the screen shows `text` `times` times (1) and keeps it in `t.screen`;
-- `t.type_line(keys)` types a line; `t.wait_dead()` waits (bounded) for
-- the command to end and returns what tmux says of the pane's death.
function M.new(name)
  local socket = name .. "-" .. os.time() .. "-" .. math.random(1e6)
  local t = {}

  function t.tmux(args)
    return helpers.run("env -u LD_PRELOAD tmux -L " .. socket .. " " .. args)
  end

  -- 150 x 50, in this directory; the pane stays once the command ended.
  function t.start(command)
    t.tmux("new-session -d -s cli -x 150 -y 50 -c "
           .. quote(os.getenv("PWD") or ".") .. " " .. quote(command))
    t.tmux("set-option -t cli remain-on-exit on")
  end

  local function count(text)
    local n, at = 0, 1
    while true do
      local found = t.screen:find(text, at, true)
      if not found then
        return n
      end
      n, at = n + 1, found + 1
    end
  end

  function t.wait_for(text, times)
    for _ = 1, 400 do
      t.screen = t.tmux("capture-pane -p -t cli")
      if count(text) >= (times or 1) then
        return
      end
      os.execute("sleep 0.05")
    end
    error("never on the screen: " .. text .. "\n--- screen:\n" .. t.screen)
  end

  function t.type_line(keys)
    t.tmux("send-keys -t cli -l " .. quote(keys))
    t.tmux("send-keys -t cli Enter")
  end

  function t.wait_dead()
    local dead
    for _ = 1, 400 do
      dead = t.tmux("display-message -p -t cli '#{pane_dead}'")
      if dead:match("^1") then
        break
      end
      os.execute("sleep 0.05")
    end
    return dead
  end

  return t
end

return M
