--- gdb's amd64 frame base of a stack frame: its "Arglist at" and
-- "Locals at" (info frame) and its `$fp` (gdb's value_of_builtin_frame_fp_reg
-- asks get_frame_base_address, which on amd64 is amd64_frame_base's
-- prologue analysis, not DW_AT_frame_base): rbp once `push rbp; mov rbp,
-- rsp` has run, rsp between the two, else rsp - 8 (no frame pointer, or
-- at the entry). An inlined call's frame has none (gdb: "unknown
-- address", $fp 0): nil. `regs`: the frame's registers
-- (frame:registers()).

local snare = require "snare"

return function(frame, regs)
  if frame.inlined then
    return nil
  end
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
