--- SVG flame graphs from folded stacks ("a;b;c 42" lines), written by
-- snare itself: the root at the bottom, each frame a rectangle as wide as
-- the values of the stacks through it, its callees stacked above; names
-- clipped to the width, the full name and value in a tooltip (an SVG title element),
-- colours derived from the name (the same name, the same colour).
-- @module snare.flamegraph
local flamegraph = {}

local WIDTH, ROW, PAD, CHAR = 1200, 16, 10, 7

--- Parses folded stacks into a tree: `{name, value, children = {...}}`
-- (children in name order), under a root named "all". Raises on a line
-- that is not "stack value".
function flamegraph.parse(text)
  local root = { name = "all", value = 0, children = {}, by_name = {} }
  local n = 0
  for line in text:gmatch("[^\n]+") do
    n = n + 1
    local stack, value = line:match("^(.-)%s+(%d+)%s*$")
    if not stack or stack == "" then
      error(("snare.flamegraph: line %d is not 'stack value': %s"):format(n,
            line), 2)
    end
    value = math.tointeger(tonumber(value))
    local node = root
    root.value = root.value + value
    for name in stack:gmatch("[^;]+") do
      local child = node.by_name[name]
      if not child then
        child = { name = name, value = 0, children = {}, by_name = {} }
        node.by_name[name] = child
        node.children[#node.children + 1] = child
      end
      child.value = child.value + value
      node = child
    end
  end
  local function order(node)
    table.sort(node.children, function(a, b) return a.name < b.name end)
    for _, child in ipairs(node.children) do
      order(child)
    end
    node.by_name = nil
  end
  order(root)
  return root
end

local function escape(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;",
                              [">"] = "&gt;", ['"'] = "&quot;" }))
end

-- A warm colour from the name's bytes (FNV-1a), stable across runs.
local function colour(name)
  local h = 2166136261
  for i = 1, #name do
    h = ((h ~ name:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("rgb(%d,%d,%d)", 205 + h % 50, (h >> 8) % 180,
                       (h >> 16) % 55)
end

local function depth_of(node)
  local deepest = 0
  for _, child in ipairs(node.children) do
    deepest = math.max(deepest, depth_of(child))
  end
  return deepest + 1
end

--- The SVG of folded stacks `text`. `opts.title` (default "Flame
-- graph"), `opts.unit` (what the values count, for tooltips: "calls").
-- @return the SVG document as a string
function flamegraph.svg(text, opts)
  opts = opts or {}
  local root = flamegraph.parse(text)
  local unit = opts.unit or "calls"
  local rows = depth_of(root)
  local height = rows * ROW + 3 * PAD + ROW
  local scale = root.value > 0 and (WIDTH - 2 * PAD) / root.value or 0
  local out = {
    string.format('<?xml version="1.0" standalone="no"?>\n<svg version="1.1" '
                  .. 'width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"'
                  .. ' font-family="monospace" font-size="12">\n',
                  WIDTH, height),
    string.format('<text x="%d" y="%d">%s</text>\n', PAD, PAD + 12,
                  escape(opts.title or "Flame graph")),
  }
  local function frame(node, x, level)
    local w = node.value * scale
    local y = height - PAD - (level + 1) * ROW
    local share = root.value > 0 and 100 * node.value / root.value or 0
    out[#out + 1] = string.format(
      '<g><title>%s (%d %s, %.2f%%)</title><rect x="%.2f" y="%d" '
      .. 'width="%.2f" height="%d" fill="%s" rx="2"/>', escape(node.name),
      node.value, unit, share, x, y, w, ROW - 1, colour(node.name))
    local fits = math.floor((w - 6) / CHAR)
    if fits >= 3 then
      local label = #node.name <= fits and node.name
                    or node.name:sub(1, fits - 2) .. ".."
      out[#out + 1] = string.format('<text x="%.2f" y="%d">%s</text>', x + 3,
                                    y + ROW - 4, escape(label))
    end
    out[#out + 1] = "</g>\n"
    for _, child in ipairs(node.children) do
      frame(child, x, level + 1)
      x = x + child.value * scale
    end
  end
  frame(root, PAD, 0)
  out[#out + 1] = "</svg>\n"
  return table.concat(out)
end

return flamegraph
