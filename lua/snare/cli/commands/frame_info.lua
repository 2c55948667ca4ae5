-- The machine view of the selected frame, as gdb 13 prints it: info
-- registers, info all-registers, info frame.

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"
local frame_base = require "snare.cli.frame_base"
local languages = require "snare.languages"

local aliases = { pc = "rip", sp = "rsp", fp = "rbp" }

-- The selected frame and its registers (frame:registers()).
local function selected(dbg, message)
  dbg:require_stopped(message or "The program has no registers now.")
  local frame = dbg:selected_frame()
  return frame, frame:registers()
end

-- A vector register as info registers shows it: its lanes in hex.
local function vector_row(name, regs)
  local v = expr.vector.value(regs[name], name)
  return string.format("%-15s%s", name, expr.format(v, { format = "x" }))
end

-- An x87 register: its value, then its raw bits.
local function x87_row(name, regs)
  local mantissa, top = string.unpack("<I8I2", regs[name])
  return string.format("%-15s%-19s (raw 0x%04x%016x)", name,
                       snare.core.x87_text(regs[name]), top, mantissa)
end

local segments = { "cs", "ss", "ds", "es", "fs", "gs" }
local x87_control = { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg",
                      "fooff", "fop" }

-- gdb's register groups on this CPU (frame:registers() has what the CPU
-- and OS enable): the general group of info registers (gdb counts the
-- AVX-512 mask registers in it), and every register of info
-- all-registers, the vector registers at their widest (zmm0..31, or
-- ymm0..15 with AVX, else xmm0..15 then mxcsr, in gdb's order; pkru
-- after the masks).
-- fs_base and gs_base are in neither (gdb 13 lists neither here), but
-- info registers fs_base and $fs_base show them.
local function masks(regs, names)
  if regs.vector_bits == 512 then
    for k = 0, 7 do
      names[#names + 1] = "k" .. k
    end
  end
end

local function general_names(regs)
  local names = {}
  for _, list in ipairs { snare.registers, regs.cs and segments or {} } do
    for _, name in ipairs(list) do
      names[#names + 1] = name
    end
  end
  masks(regs, names)
  return names
end

local function all_names(regs)
  local names = {}
  for _, name in ipairs(snare.registers) do
    names[#names + 1] = name
  end
  if regs.cs then
    for _, list in ipairs { segments, { "st0", "st1", "st2", "st3", "st4",
                                        "st5", "st6", "st7" }, x87_control } do
      for _, name in ipairs(list) do
        names[#names + 1] = name
      end
    end
  end
  local bits = regs.vector_bits or 128
  if bits == 128 then
    for x = 0, 15 do
      names[#names + 1] = "xmm" .. x
    end
  end
  if regs.mxcsr then
    names[#names + 1] = "mxcsr"
  end
  masks(regs, names)
  if regs.pkru then
    names[#names + 1] = "pkru"
  end
  if bits > 128 then
    local prefix = bits == 512 and "zmm" or "ymm"
    for x = 0, bits == 512 and 31 or 15 do
      names[#names + 1] = prefix .. x
    end
  end
  return names
end

-- The row of register `name`, or nil when the frame has no such register.
local function row(name, regs)
  local r = regs[aliases[name] or name]
  if r == nil then
    return nil
  elseif name:match("^[xyz]mm%d") then
    return vector_row(name, regs)
  elseif name:match("^st%d$") then
    return x87_row(name, regs)
  elseif name == "mxcsr" then
    return string.format("%-15s0x%-18x%s", name, r,
                         expr.format_eflags(r, expr.format_mxcsr_names))
  end
  return report.register_row(name, r)
end

local function info_registers(dbg, args)
  local _, regs = selected(dbg)
  local names = {}
  for name in args:gmatch("[^%s$]+") do
    if not scope.registers[name] and regs[name] == nil then
      dbg:fail("Invalid register `%s'", name)
    end
    names[#names + 1] = name
  end
  if #names == 0 then
    names = general_names(regs)
  end
  for _, name in ipairs(names) do
    dbg:out(row(name, regs))
  end
end

local function info_all_registers(dbg, args)
  if args and args:match("%S") then -- named: as info registers NAME
    return info_registers(dbg, args)
  end
  local _, regs = selected(dbg)
  for _, name in ipairs(all_names(regs)) do
    dbg:out(row(name, regs))
  end
end

-- The source language of the unit holding the frame's pc (DW_AT_language),
-- or nil where no unit with a language holds it.
local function language(frame)
  local pc = frame.index == 0 and frame.pc or frame.pc - 1
  local code = snare.core.language_at(pc)
  return languages.name(code)
end

-- What info frame says of a frame's neighbours and saved rip where tail
-- calls are involved, as gdb 13's tail-call frames answer: such a frame
-- is at its callee's address ("frame at"), its caller's pc is that of the
-- frame beyond the first real frame out of it (gdb skips the artificial
-- frames), its arguments and locals have no address, the previous sp is
-- the register itself and nothing is saved in memory; the real frame a
-- chain of them was entered from has their pc as its saved rip, and no
-- rip saved in memory.
local function neighbours(frames, index, regs)
  local frame, caller = frames[index + 1], frames[index + 2]
  local callee = frames[index]
  local saved_rip = regs.cfa ~= 0 and snare.read_u64(regs.cfa - 8)
  local caller_cfa, callee_cfa = regs.caller_cfa, regs.callee_cfa
  if frame.tail_call then
    local real = index + 1
    while frames[real] and frames[real].tail_call do
      real = real + 1
    end
    local beyond = frames[real + 1]
    saved_rip = beyond and beyond.pc
      or frames[real] and frames[real]:registers().cfa ~= 0
        and snare.read_u64(frames[real]:registers().cfa - 8)
  elseif caller and caller.tail_call then
    saved_rip = caller.pc
    caller_cfa = caller:registers().cfa
  end
  if callee and (callee.tail_call or frame.tail_call) then
    callee_cfa = callee:registers().cfa
  end
  return saved_rip, caller_cfa, callee_cfa
end

-- The frame gdb 13's frame selection spec names (info frame [level] N,
-- address ADDR, function NAME), the selected one for none; and the stack.
local function frame_spec(dbg, args)
  local frame, regs = selected(dbg)
  local frames = dbg.session:backtrace()
  local kind, rest = args:match("^(%a+)%s*(.-)%s*$")
  local found
  if args == "" then
    return frame, regs, frames, true
  elseif kind == "level" or not (kind == "address" or kind == "function") then
    -- a level: `level N` or an expression alone
    local level = kind == "level" and rest or args
    if level == "" then
      dbg:fail("Argument required (expression to compute).")
    end
    local n = math.tointeger(expr.value.number(dbg:evaluate(level)))
    found = n and frames[n + 1] and dbg.session:frame(n)
    if not found then
      dbg:fail("No frame at level %s.", level)
    end
  elseif kind == "address" then
    local at = dbg:address(rest)
    for i = 1, #frames do
      local f = dbg.session:frame(i - 1)
      if f:registers().cfa == at then
        found = f
        break
      end
    end
    if not found then
      dbg:fail("No frame at address %s.", rest)
    end
  elseif kind == "function" then
    for i, f in ipairs(frames) do
      if f.func == rest then
        found = dbg.session:frame(i - 1)
        break
      end
    end
    if not found and not snare.symbol(rest) then
      dbg:fail("Function \"%s\" not defined.", rest)
    elseif not found then
      dbg:fail("No frame for function \"%s\".", rest)
    end
  end
  return found, found:registers(), frames, false
end

local function info_frame(dbg, args)
  local frame, regs, frames, selected_one = frame_spec(dbg, args or "")
  local last = #frames - 1
  local tail = frames[frame.index + 1].tail_call
  -- (gdb names the level of the selected frame alone)
  dbg:out(selected_one and string.format("Stack level %d, frame at 0x%x:",
                                         frame.index, regs.cfa)
          or string.format("Stack frame at 0x%x:", regs.cfa))
  local where = frame.func or "??"
  if frame.file then
    where = string.format("%s (%s:%d)", where, report.file_name(frame.file,
      frame.index == 0 and frame.pc or frame.pc - 1), frame.line)
  end
  local saved_rip, caller_cfa, callee_cfa = neighbours(frames, frame.index,
                                                       regs)
  dbg:out(string.format(" rip = 0x%x in %s; saved rip = %s", regs.rip, where,
                        saved_rip and string.format("0x%x", saved_rip)
                          or "<not saved>"))
  local links = {}
  if tail and frame.index < last then
    links[#links + 1] = "tail call frame"
  elseif frame.index < last and caller_cfa ~= 0 then
    links[#links + 1] = string.format("called by frame at 0x%x", caller_cfa)
  end
  if frame.index > 0 then
    links[#links + 1] = string.format("caller of frame at 0x%x", callee_cfa)
  end
  if #links > 0 then
    dbg:out(" " .. table.concat(links, ", "))
  end
  local lang = language(frame)
  if lang then
    dbg:out(" source language " .. lang .. ".")
  end
  local base = not tail and frame_base(frame, regs)
  if base then
    dbg:out(string.format(" Arglist at 0x%x, args: %s", base,
                          report.frame_args(frame)))
  else
    dbg:out(" Arglist at unknown address.")
  end
  dbg:out(string.format(" Locals at %s, Previous frame's sp %s",
                        base and string.format("0x%x", base)
                          or "unknown address",
                        tail and "in rsp"
                          or string.format("is 0x%x", regs.cfa)))
  local saved = {}
  local caller = frames[frame.index + 2]
  for _, name in ipairs(tail and {} or snare.registers) do
    if regs.saved[name] and not (name == "rip" and caller
                                 and caller.tail_call) then
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
    help = "the registers of the selected frame (or those named: xmm0, "
      .. "st0, mxcsr, fs_base...)",
    run = info_registers },
  { name = "all-registers", group = "info",
    usage = "info all-registers",
    help = "every register of the selected frame: general, segment, x87, "
      .. "vector",
    run = info_all_registers },
  { name = "frame", group = "info", aliases = { "f" },
    usage = "info frame [[level] N|address ADDR|function NAME]",
    help = "where the selected frame is and what it saved",
    run = function(dbg, args)
      dbg:require_stopped("No stack.") -- as gdb, before the registers
      return info_frame(dbg, args)
    end },
}
