--- SVG flame graphs from folded stacks ("a;b;c 42" lines), written by
-- snare itself: the root at the bottom, each frame a rectangle as wide as
-- the values of the stacks through it, its callees stacked above; names
-- clipped to the width, the full name and value in a tooltip (an SVG title
-- element), colours derived from the name (the same name, the same colour). Its
-- inline script, as flamegraph.pl's SVGs have, zooms into a frame that
-- is clicked (its callers stay, full width; "Reset Zoom" goes back) and
-- highlights the frames a search's regular expression matches, with the
-- share of the total they make.
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

-- The viewer's script: zoom on click, search, reset. Frames are <g
-- class="f"> holding a rect (data-x, data-w: where it was drawn), a text
-- and the full name (data-name).
local SCRIPT = [[
<script type="text/ecmascript"><![CDATA[
(function () {
  var W = %d, PAD = %d, CHAR = %d, svg = document.documentElement;
  var frames = [].slice.call(document.querySelectorAll("g.f"));
  function num(e, k) { return parseFloat(e.getAttribute(k)); }
  function label(g, w) {
    var name = g.getAttribute("data-name"), fits = Math.floor((w - 6) / CHAR);
    var t = g.querySelector("text");
    t.textContent = fits < 3 ? "" : name.length <= fits ? name
                    : name.substring(0, fits - 2) + "..";
  }
  function place(g, x, w) {
    var r = g.querySelector("rect"), t = g.querySelector("text");
    r.setAttribute("x", x.toFixed(2)); r.setAttribute("width", w.toFixed(2));
    t.setAttribute("x", (x + 3).toFixed(2)); label(g, w);
    g.style.display = "";
  }
  function zoom(target) {
    var tr = target.querySelector("rect"), zx = num(tr, "data-x"),
        zw = num(tr, "data-w"), zy = num(tr, "y"), k = (W - 2 * PAD) / zw;
    frames.forEach(function (g) {
      var r = g.querySelector("rect"), x = num(r, "data-x"),
          w = num(r, "data-w"), y = num(r, "y");
      if (y > zy && x <= zx + 0.01 && x + w >= zx + zw - 0.01)
        place(g, PAD, W - 2 * PAD); /* a caller */
      else if (y <= zy && x >= zx - 0.01 && x + w <= zx + zw + 0.01)
        place(g, PAD + (x - zx) * k, w * k);
      else
        g.style.display = "none";
    });
    document.getElementById("reset").style.display = "";
  }
  function reset() {
    frames.forEach(function (g) {
      var r = g.querySelector("rect");
      place(g, num(r, "data-x"), num(r, "data-w"));
    });
    document.getElementById("reset").style.display = "none";
  }
  function search() {
    var term = prompt("Search for (a regular expression):", "");
    var found = document.getElementById("matched"), total = 0, spans = [];
    frames.forEach(function (g) {
      var r = g.querySelector("rect"), x = num(r, "data-x"), w = num(r, "data-w");
      if (r.getAttribute("data-root")) total = w;
      var on = !!term && new RegExp(term).test(g.getAttribute("data-name"));
      if (!r.getAttribute("data-fill")) r.setAttribute("data-fill", r.getAttribute("fill"));
      r.setAttribute("fill", on ? "rgb(230,0,230)" : r.getAttribute("data-fill"));
      if (on) spans.push([x, x + w]);
    });
    /* Nested matches count once: the union of their spans. */
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var hit = 0, end = -Infinity;
    spans.forEach(function (s) {
      if (s[1] > end) { hit += s[1] - Math.max(s[0], end); end = s[1]; }
    });
    found.textContent = term && total > 0
      ? "Matched: " + (100 * hit / total).toFixed(1) + "%%" : "";
  }
  frames.forEach(function (g) {
    g.addEventListener("click", function () { zoom(g); });
  });
  document.getElementById("reset").addEventListener("click", reset);
  document.getElementById("search").addEventListener("click", search);
})();
]] .. "]]>" .. [[</script>
]]

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
    string.format('<title>%s</title>\n', escape(opts.title or "Flame graph")),
    string.format('<text x="%d" y="%d" text-anchor="middle" font-size="15">'
                  .. '%s</text>\n', WIDTH // 2, PAD + 12,
                  escape(opts.title or "Flame graph")),
    string.format('<text id="reset" x="%d" y="%d" style="display:none;'
                  .. 'cursor:pointer">Reset Zoom</text>\n', PAD, PAD + 12),
    string.format('<text id="search" x="%d" y="%d" text-anchor="end" '
                  .. 'style="cursor:pointer">Search</text>\n',
                  WIDTH - PAD, PAD + 12),
    string.format('<text id="matched" x="%d" y="%d" text-anchor="end">'
                  .. '</text>\n', WIDTH - PAD, height - 2),
    string.format(SCRIPT, WIDTH, PAD, CHAR),
  }
  local function frame(node, x, level)
    local w = node.value * scale
    local y = height - PAD - (level + 1) * ROW
    local share = root.value > 0 and 100 * node.value / root.value or 0
    out[#out + 1] = string.format(
      '<g class="f" data-name="%s" style="cursor:pointer"><title>%s (%d %s, '
      .. '%.2f%%)</title><rect x="%.2f" y="%d" width="%.2f" height="%d" '
      .. 'fill="%s" rx="2" data-x="%.2f" data-w="%.2f"%s/>',
      escape(node.name), escape(node.name), node.value, unit, share, x, y, w,
      ROW - 1, colour(node.name), x, w,
      level == 0 and ' data-root="1"' or "")
    local fits = math.floor((w - 6) / CHAR)
    local label = fits < 3 and "" or #node.name <= fits and node.name
                  or node.name:sub(1, fits - 2) .. ".."
    out[#out + 1] = string.format('<text x="%.2f" y="%d">%s</text>', x + 3,
                                  y + ROW - 4, escape(label))
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
