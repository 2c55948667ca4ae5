-- parts_questions.lua - what the specs ask of spec/fixtures/dwz's two
-- programs (inventory and orders, which share parts.h and parts.c) to
-- compare a build's answers with gdb's and with another build's: dwz's
-- (dwz_spec) and compressed sections' (compressed_debug_spec), and the
-- comparison of a build's forms both make (compare_forms).
local compare = require "spec.gdb_compare"

local M = {}

M.SOURCES = "spec/fixtures/dwz/"
M.PROGRAMS = { "inventory", "orders" }

local function line_count(path)
  local n = 0
  for _ in io.lines(path) do n = n + 1 end
  return n
end

-- What each program is asked: every line of its sources, its functions'
-- lines and breakpoints, then its stops with their frames, arguments,
-- locals and the shared types.
local questions = {
  inventory = {
    functions = { "count_visit", "shelf_add", "shelf_area", "main",
                  "unit_name", "part_volume" },
    stops = {
      "break shelf_add", "break count_visit", "break shelf_area",
      "break unit_name", "break part_volume", "run", "bt", "info args",
      "p *p", "p *s", "ptype p", "whatis p->size", "p p->tag", "continue",
      "bt", "p *p", "p arg", "ptype p->unit", "continue", "bt", "p *s",
      "p *s->first", "p s->first->size", "whatis s->on_add", "info locals",
      "finish", "continue", "bt", "info args", "finish", "continue",
      "bt", "p *p", "ptype d", "p bolts", "p inventory_shelf",
      "break part_face", "continue", "bt", "p *p", "p inventory_stamp",
    },
  },
  orders = {
    functions = { "reject_visit", "order_total", "order_place", "main",
                  "unit_name", "part_volume" },
    stops = {
      "break order_place", "break order_total", "break reject_visit",
      "run", "bt", "info args", "p *o", "ptype o", "whatis o->item",
      "p o->item.tag", "continue", "continue", "continue", "continue",
      "bt", "p orders[1]", "p *orders@2", "ptype orders", "finish",
      "continue", "bt", "p *p", "whatis p->unit", "p book[3]",
      "p order_shelf", "p order_stamp", "ptype order_stamp",
    },
  },
}

local shared_types = {
  "ptype struct part", "ptype struct dimensions", "ptype union tag",
  "ptype enum unit_kind", "whatis part_id", "ptype part_visit",
  "ptype struct shelf", "p sizeof(struct part)", "p UNIT_KILO",
  "ptype stamp_t", "whatis stamp_t",
  -- (not part_face: snare lists static functions without "static" and
  -- once per name, gdb once per unit, with or without dwz)
  "info functions ^(shelf_|unit_|part_v|count_|order_|reject_)",
  -- parts.h's inline function, whose abstract instance dwz moves out of
  -- every unit: its inlined copies found through the imported units
  "break part_face",
}

-- The questions without running: the shared types, breakpoint locations
-- and the functions' listing.
function M.static_commands(program)
  local list = {}
  for _, t in ipairs(shared_types) do
    list[#list + 1] = t
  end
  for _, fn in ipairs(questions[program].functions) do
    list[#list + 1] = "break " .. fn
  end
  return list
end

-- Every line of its sources, its functions' lines, then its stops.
function M.run_commands(program)
  local list = {}
  for _, source in ipairs { program .. ".c", "parts.c" } do
    for line = 1, line_count(M.SOURCES .. source) do
      list[#list + 1] = string.format("info line %s:%d", source, line)
    end
  end
  for _, fn in ipairs(questions[program].functions) do
    list[#list + 1] = "info line " .. fn
  end
  for _, c in ipairs(questions[program].stops) do
    list[#list + 1] = c
  end
  return list
end

--- The lines of a debugger's answers that a form changed: `now` against
-- the plain build's `was`, each printed after `label`, the plain one
-- named `without` ("without dwz").
function M.changed(label, was, now, without)
  return (compare.differences(was, now, function(i)
    print(string.format("%s line %d: %s\n%s: %s", label, i, now[i], without,
                        was[i]))
  end))
end

--- The lines where s differs from g, less those where gdb's answer
-- changed from the plain build's (was_g) and s is gdb's plain answer;
-- and those (gdb 13 under dwz).
function M.differences(g, s, was_g)
  return compare.differences(g, s, was_g and function(i)
    return was_g[i] ~= g[i] and was_g[i] == s[i]
  end)
end

--- Compares one program of one build (`opts.cc`, `opts.level`) in each
-- of its forms (`opts.forms`, "plain" first: the build as compiled; the
-- program of a form at `opts.path(form)`) with gdb, and with the plain
-- form's answers, adding to the figures `n`: lines compared;
-- mismatches with gdb where all must match (the static questions but
-- at clang -O2, where `break part_volume` differs: issue 11's inlined
-- breakpoints; all at gcc -O0), elsewhere in the plain form (`plain`)
-- and in the others (`n[opts.counter]`); with `opts.gdb_wrong`, the
-- lines where gdb's answer changed and snare's is gdb's plain one
-- (`gdb_wrong`, not mismatches); the lines of snare's and of gdb's
-- answers the form changed (`snare_changed`, `gdb_changed`; printed
-- with the plain form named `opts.without`).
function M.compare_forms(n, opts)
  local plain = {}
  for _, form in ipairs(opts.forms) do
    local label = string.format("%s-%s %s %s", opts.cc, opts.level, form,
                                opts.program)
    for kind, commands in pairs { static = M.static_commands(opts.program),
                                  run = M.run_commands(opts.program) } do
      local _, g, s = compare.mismatches(commands, opts.path(form))
      local was = plain[kind]
      local count, gdb_wrong = M.differences(g, s,
                                             opts.gdb_wrong and was and was.g)
      n.compared = n.compared + #g
      if opts.gdb_wrong then
        n.gdb_wrong = n.gdb_wrong + gdb_wrong
      end
      local must_match = kind == "static"
        and (opts.cc == "gcc" or opts.level == "O0")
        or opts.cc == "gcc" and opts.level == "O0"
      if must_match then
        n.must_match = n.must_match + count
        if count > 0 then
          print(label .. " " .. kind .. ": gdb:\n" .. table.concat(g, "\n")
                .. "\nsnare:\n" .. table.concat(s, "\n"))
        end
      elseif form == "plain" then
        n.plain = n.plain + count
      else
        n[opts.counter] = n[opts.counter] + count
      end
      if form == "plain" then
        plain[kind] = { g = g, s = s }
      else
        n.snare_changed = n.snare_changed + M.changed(
          label .. " " .. kind .. " snare", was.s, s, opts.without)
        n.gdb_changed = n.gdb_changed + M.changed(
          label .. " " .. kind .. " gdb", was.g, g, opts.without)
      end
    end
  end
end

return M
