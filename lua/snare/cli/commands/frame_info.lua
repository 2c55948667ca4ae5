-- The machine view of the selected frame, as gdb 13 prints it: info
-- registers, info all-registers, info frame.

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"

local aliases = { pc = "rip", sp = "rsp", fp = "rbp" }

-- The selected frame and its registers (frame:registers()).
local function selected(dbg)
  dbg:require_stopped()
  local frame = dbg:selected_frame()
  return frame, frame:registers()
end

-- One row of info registers: name, raw hex, natural value.
local function register_row(name, regs)
  local n = regs[aliases[name] or name]
  local natural
  if name == "rip" or name == "pc" then
    natural = report.address(n)
  elseif name == "eflags" then
    natural = expr.format_eflags(n)
  elseif name == "rsp" or name == "rbp" or name == "sp" or name == "fp" then
    natural = string.format("0x%x", n)
  else
    natural = tostring(n)
  end
  return string.format("%-15s0x%-18x%s", name, n, natural)
end

-- A vector register as info registers shows it: its lanes in hex.
local function vector_row(name, regs)
  local v = expr.vector.value(regs[name], name)
  return string.format("%-15s%s", name, expr.format(v, { format = "x" }))
end

local function is_vector(name)
  local n = math.tointeger(tonumber(name:match("^xmm(%d%d?)$")))
  return n ~= nil and n <= 15
end

local function info_registers(dbg, args)
  local _, regs = selected(dbg)
  local names = {}
  for name in args:gmatch("[^%s$]+") do
    if not scope.registers[name] and not is_vector(name) then
      dbg:fail("Invalid register `%s'", name)
    end
    names[#names + 1] = name
  end
  if #names == 0 then
    names = snare.registers
  end
  for _, name in ipairs(names) do
    dbg:out(is_vector(name) and vector_row(name, regs)
            or register_row(name, regs))
  end
end

-- The general registers, then the vector registers (gdb's list goes on
-- with segment, x87 and AVX-512 registers snare does not read).
local function info_all_registers(dbg)
  local _, regs = selected(dbg)
  for _, name in ipairs(snare.registers) do
    dbg:out(register_row(name, regs))
  end
  for x = 0, 15 do
    dbg:out(vector_row("xmm" .. x, regs))
  end
end

-- gdb's amd64 frame base ("Arglist at", "Locals at"), found from the
-- prologue as gdb finds it: rbp once `push rbp; mov rbp, rsp` has run,
-- rsp between the two, else rsp - 8 (no frame pointer, or at the entry).
local function frame_base(frame, regs)
  local pc = frame.index == 0 and frame.pc or frame.pc - 1
  local sym = snare.symbol_at(pc)
  local at = sym and pc - sym.offset
  local code = at and snare.read(at, 8)
  if code and code:sub(1, 4) == "\xf3\x0f\x1e\xfa" then -- endbr64
    at, code = at + 4, code:sub(5)
  end
  if not code or code:byte(1) ~= 0x55 or frame.pc <= at then
    return regs.rsp - 8
  end
  local mov = code:sub(2, 4)
  if (mov == "\x48\x89\xe5" or mov == "\x48\x8b\xec") and frame.pc > at + 1 then
    return regs.rbp
  end
  return regs.rsp
end

-- gdb's source language line, from the file's extension (the DWARF
-- unit's language is not read).
local function language(file)
  local ext = file and file:match("%.(%w+)$")
  if ext == "c" or ext == "h" then
    return "c"
  elseif ext == "cc" or ext == "cpp" or ext == "cxx" or ext == "C"
      or ext == "hpp" then
    return "c++"
  end
  return ext and "unknown" or nil
end

local function info_frame(dbg)
  local frame, regs = selected(dbg)
  local last = #dbg.session:backtrace() - 1
  dbg:out(string.format("Stack level %d, frame at 0x%x:", frame.index,
                        regs.cfa))
  local where = frame.func or "??"
  if frame.file then
    where = string.format("%s (%s:%d)", where, frame.file, frame.line)
  end
  local saved_rip = regs.cfa ~= 0 and snare.read_u64(regs.cfa - 8)
  dbg:out(string.format(" rip = 0x%x in %s; saved rip = %s", regs.rip, where,
                        saved_rip and string.format("0x%x", saved_rip)
                          or "<not saved>"))
  local links = {}
  if frame.index < last and regs.caller_cfa ~= 0 then
    links[#links + 1] = string.format("called by frame at 0x%x",
                                      regs.caller_cfa)
  end
  if frame.index > 0 then
    links[#links + 1] = string.format("caller of frame at 0x%x",
                                      regs.callee_cfa)
  end
  if #links > 0 then
    dbg:out(" " .. table.concat(links, ", "))
  end
  local lang = language(frame.file)
  if lang then
    dbg:out(" source language " .. lang .. ".")
  end
  local base = frame_base(frame, regs)
  dbg:out(string.format(" Arglist at 0x%x, args: %s", base,
                        report.frame_args(frame)))
  dbg:out(string.format(" Locals at 0x%x, Previous frame's sp is 0x%x", base,
                        regs.cfa))
  local saved = {}
  for _, name in ipairs(snare.registers) do
    if regs.saved[name] then
      saved[#saved + 1] = string.format("%s at 0x%x", name, regs.saved[name])
    end
  end
  if #saved > 0 then
    dbg:out(" Saved registers:")
    dbg:out("  " .. table.concat(saved, ", "))
  end
end

return {
  { name = "registers", group = "info", aliases = { "r", "reg" },
    usage = "info registers [NAME...]",
    help = "the registers of the selected frame (also xmm0..xmm15)",
    run = info_registers },
  { name = "all-registers", group = "info",
    usage = "info all-registers",
    help = "general and vector registers of the selected frame",
    run = info_all_registers },
  { name = "frame", group = "info", aliases = { "f" }, usage = "info frame",
    help = "where the selected frame is and what it saved",
    run = info_frame },
}
