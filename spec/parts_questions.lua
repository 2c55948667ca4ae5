-- parts_questions.lua - what the specs ask of spec/fixtures/dwz's two
-- programs (inventory and orders, which share parts.h and parts.c) to
-- compare a build's answers with gdb's and with another build's: dwz's
-- (dwz_spec) and compressed sections' (compressed_debug_spec).
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

return M
