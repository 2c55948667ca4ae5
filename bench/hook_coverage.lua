-- hook_coverage.lua - how many functions of a library a hook reaches by
-- a jump to a trampoline, and why the others fall back to a trap. The
-- library is loaded, not run: every function is hooked (count only) and
-- unhooked again. Also times the first hook, which sweeps the library's
-- code for direct branches (the sweep is kept for the other hooks).
--
-- usage: lua5.4 bench/hook_coverage.lua LIBRARY...
local snare = require "snare"

local now = os.clock -- processor time: the sweep does not wait

for _, path in ipairs(arg) do
  local lib <close> = assert(snare.load(path))
  local functions = lib:functions()
  local jumps, traps, refused, reasons = 0, 0, 0, {}
  local first_s, rest_s = nil, 0
  for _, fn in ipairs(functions) do
    local start = now()
    local ok, hook = pcall(snare.core.hook, fn.address)
    local took = now() - start
    if first_s == nil then first_s = took else rest_s = rest_s + took end
    if not ok then
      refused = refused + 1
    else
      local stats = hook:stats()
      if stats.trampoline then
        jumps = jumps + 1
      else
        traps = traps + 1
        local why = stats.fallback or "(not reported)"
        reasons[why] = (reasons[why] or 0) + 1
      end
      hook:remove()
    end
  end
  local hooked = jumps + traps
  print(("%s: %d functions, %d jumps (%.1f%%), %d traps, %d not hookable")
        :format(path, #functions, jumps, 100 * jumps / math.max(hooked, 1),
                traps, refused))
  print(("  first hook (with the sweep) %.1f ms, the others %.1f us each")
        :format(first_s * 1e3, rest_s * 1e6 / math.max(#functions - 1, 1)))
  local names = {}
  for name in pairs(reasons) do names[#names + 1] = name end
  table.sort(names, function(a, b) return reasons[a] > reasons[b] end)
  for _, name in ipairs(names) do
    print(("  %6d  %s"):format(reasons[name], name))
  end
end
