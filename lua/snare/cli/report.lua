--- How the prompt shows stops, locations and values, as gdb does.
-- @module snare.cli.report

local snare = require "snare"
local expr = require "snare.expr"
local source = require "snare.cli.source"
local watch = require "snare.cli.watch"
local names = require "snare.function_names"

local report = {}

--- "fib" for an address inside fib, "??" when no symbol covers it.
function report.function_name(addr)
  local sym = snare.symbol_at(addr)
  return sym and sym.name or "??"
end

--- The shared object code at addr without sources is in, as gdb's frame
-- lines name it (" from /lib/x86_64-linux-gnu/libfoo.so.1"), or nil: a
-- program's prompt sets it (report.library_at = function(addr)).
report.library_at = nil

local function from(addr)
  local path = report.library_at and report.library_at(addr)
  return path and (" from " .. path) or ""
end

--- "0x00007f... in fib ()": gdb's frame line when there are no sources.
function report.frame_line(addr)
  return string.format("0x%016x in %s ()%s", addr, report.function_name(addr),
                       from(addr))
end

--- Source file `file` (of the line at `addr`) named as gdb names it in
-- frames and breakpoints: as the DWARF writes it ("../src/x.c",
-- "./stdlib/getenv.c"), not joined to the compilation directory.
function report.file_name(file, addr)
  return snare.core.source_name(addr, file)
end

--- `path` with "." and ".." taken out (gdb's full name of a source file,
-- its "Located in"), relative to `dir` when it is relative.
function report.full_path(path, dir)
  if path:sub(1, 1) ~= "/" and dir then
    path = dir .. "/" .. path
  end
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return (path:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
end

--- The address gdb shows for `addr` (before `run`, the file's: see
-- snare.expr.image).
report.shown = require("snare.expr.image").shown

--- `addr` as gdb writes it, in hex (report.shown's).
function report.hex(addr)
  return string.format("0x%x", report.shown(addr))
end

--- "0x7f... <fib+4>" (the symbol part only when one is known; a C++
-- function by its linkage name, as gdb's asm-demangle off shows it).
function report.address(addr)
  local name = names.describe(addr, "linkage")
  if name then
    return string.format("%s <%s>", report.hex(addr), name)
  end
  return report.hex(addr)
end

--- The prompt's `set disassembly-flavor`: "att" (gdb's default) or
-- "intel", for every instruction it shows.
report.disassembly_flavor = "att"

--- snare.disassemble(addr, n) in the prompt's flavor.
function report.disassemble(addr, n)
  return snare.disassemble(addr, n, { flavor = report.disassembly_flavor })
end

--- gdb's "name+offset" of addr in an instruction line's <...>, or nil:
-- report.address's, but for a data symbol by its own ELF name ("name.1",
-- where `print` shows the variable's "name"), and gcc's clone of a
-- function (fn.part.0, fn.isra.0, fn.constprop.0) by the function's
-- DWARF name "fn".
function report.code_name(addr)
  local sym = snare.symbol_at(addr)
  if not (sym and sym.is_function) then
    return sym and names.with_offset(sym.name, sym.offset)
  end
  local row = not sym.name:find(".cold", 1, true) and snare.line_at(addr)
  local dwarf_name = row and row["function"]
  if dwarf_name and sym.name:sub(1, #dwarf_name + 1) == dwarf_name .. "." then
    return names.with_offset(dwarf_name, sym.offset)
  end
  return names.describe(addr, "linkage") -- (C++: by its linkage name)
end

-- The mnemonics whose operand is a code address gdb names (<fn+4>): the
-- jumps (jrcxz too), call, loop/loope/loopne, xbegin's abort address.
local branch_stems = { "j%a*", "call", "loop%a*", "xbegin" }

--- An instruction's text as gdb shows it: direct branches and calls name
-- their target ("call   0x7f... <fib>"), a rip-relative operand's
-- comment its symbol ("        # 0x7f... <counter>").
function report.instruction_text(insn)
  local text = insn.text
  local target = text:match("# 0x(%x+)$")
  for _, stem in ipairs(branch_stems) do
    target = target or text:match("^[%a ]-" .. stem .. "%s+0x(%x+)$")
  end
  local address = target and tonumber(target, 16)
  local name = address and report.code_name(address)
  if address and report.shown(address) ~= address then -- (before `run`)
    text = text:sub(1, -#target - 3) .. report.hex(address)
  end
  return name and (text .. " <" .. name .. ">") or text
end

--- One instruction line as `x/i` shows it: "=> 0x... <fib+4>:\tpush   %rbp".
-- `pc` marks the current instruction with "=>".
function report.instruction(insn, pc)
  local name = report.code_name(insn.address)
  return string.format("%s%s%s:\t%s", insn.address == pc and "=> " or "   ",
                       report.hex(insn.address),
                       name and (" <" .. name .. ">") or "",
                       report.instruction_text(insn))
end

--- One row of info registers for general register `name` holding `n`:
-- name, raw hex, natural value; nil when n is nil (no such register).
function report.register_row(name, n)
  if n == nil then
    return nil
  end
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

-- Where the worker is, as gdb shows it after a stop. With source: the
-- frame ("fib (n=3) at demo.c:8", prefixed by the pc unless it starts
-- its line) when `heading`, then "8\t  if (n < 2)" (pc-prefixed when it
-- is inside the line and there was no heading). Without: the frame line
-- "0x... in fib ()" and the instruction at the pc.
local function show_location(out, stop, frame, heading, prefix)
  local pc = stop.pc
  if stop.file and stop.line then
    local row = snare.line_at(pc)
    -- (gdb's frame_show_address: inside, or at a row that starts no
    -- statement, as gcc -O2 and clang -O0 leave after calls; never at
    -- the call site of hidden inlined calls, a line with no pc of its own)
    local inside = not stop.inline_hidden
      and (not row or row.address ~= pc or row.not_stmt)
    if heading then
      local where = frame and report.frame_text(frame)
        or string.format("%s () at %s", stop.func or "??",
                         report.file_name(stop.file, pc))
      out(string.format("%s%s%s", prefix or "",
                        inside and string.format("0x%016x in ", pc) or "",
                        where))
    end
    source.show(out, stop.file, stop.line,
                inside and not heading and string.format("0x%016x\t", pc) or nil)
    return
  end
  out((prefix or "") .. report.frame_line(pc))
  local insns = report.disassemble(pc, 1)
  if insns then
    out(report.instruction(insns[1], pc))
  end
end

--- The number of the breakpoint that made breakpoint stop `stop`: its
-- object's (every location of a breakpoint stops with an id of its own).
function report.breakpoint_number(stop)
  return stop.breakpoint and stop.breakpoint.id or stop.breakpoint_id
end

--- "2" for a stop at breakpoint 2, "2.1" at its first location when it
-- has several (gdb 13's numbers of locations, in address order).
function report.location_number(stop)
  local number = report.breakpoint_number(stop)
  local addresses = stop.breakpoint and stop.breakpoint.addresses or {}
  for i = 1, #addresses > 1 and #addresses or 0 do
    if addresses[i] == stop.pc then
      return number .. "." .. i
    end
  end
  return tostring(number)
end

--- Prints stop `stop` through out(line). `context` has `notes` (id ->
-- {temporary =}), `frame` (the innermost frame object, or nil) and
-- `same_frame` (a step stayed in the frame of the stop before). Returns
-- the value of an exit stop.
function report.stop(out, stop, context)
  local kind = stop.kind
  local frame = context.frame
  if kind == "breakpoint" then
    local id = report.breakpoint_number(stop)
    if stop.error then -- gdb 13's words, on stderr as its errors
      io.stdout:flush()
      io.stderr:write("Error in testing breakpoint condition:\n",
                      stop.error:match("^[^\n]*"), "\n")
    end
    local note = context.notes[id]
    out("")
    show_location(out, stop, frame, true,
                  string.format("%s %s, ", note and note.temporary
                                and "Temporary breakpoint" or "Breakpoint",
                                report.location_number(stop)))
  elseif kind == "watchpoint" then
    watch.report(out, stop, context.notes[stop.watchpoint_id])
    show_location(out, stop, frame, true)
  elseif kind == "step" then
    if stop.watchpoint_id then -- the step changed a watched value
      watch.report(out, stop, context.notes[stop.watchpoint_id])
    end
    show_location(out, stop, frame, not context.same_frame or not stop.file)
  elseif kind == "signal" or kind == "interrupt" then
    local name = stop.signal or "SIGINT"
    local reason = kind == "interrupt" and "Interrupt" or
      (stop.reason:gsub("^%l", string.upper))
    out("")
    out(string.format("Program received signal %s, %s.", name, reason))
    show_location(out, stop, frame, true)
    if name == "SIGSEGV" or name == "SIGBUS" then
      out(string.format("Fault address 0x%x.", stop.fault_address))
    end
  elseif kind == "exit" then
    return report.c_value(stop.return_value)
  elseif kind == "aborted" then
    out("[call aborted]")
  else
    out(tostring(stop))
  end
end

--- A returned 64-bit register as the value a C function most likely
-- returned: the (sign-extended) int when the upper half is all zeros (a
-- 32-bit write) or all ones, else the whole 64 bits (a pointer, a long).
function report.c_value(raw)
  local high = raw >> 32
  if high ~= 0 and high ~= 0xffffffff then
    return raw
  end
  local low = raw & 0xffffffff
  return low >= 0x80000000 and low - 0x100000000 or low
end

-- A parameter's value at its function's entry ("x@entry", from the
-- caller's call site) as an argument's text, or nil where it is unknown.
-- A C++ reference goes without: gdb finds the referent the same at entry
-- and leaves the entry value out.
local function entry_text(frame, name)
  local ok, v = pcall(expr.frame_value, frame, name .. "@entry")
  if not ok or v == nil then
    return nil
  end
  local kind = expr.types.strip(v.type).kind
  if kind == "reference" or kind == "rvalue_reference" then
    return nil
  end
  local good, text = pcall(expr.format_argument, v)
  if not good or text == "<optimized out>" then
    return nil
  end
  return text
end

--- "n=4, s=0x5555 \"hi\"": a frame's arguments as gdb prints them (gdb
-- 13's `set print entry-values default`, core.argument_text):
-- "x=x@entry=5" where the value at entry is known and the same,
-- "x=9, x@entry=6" where it differs.
function report.frame_args(frame)
  local ok, params = pcall(frame.params, frame)
  local args = {}
  for _, p in ipairs(ok and params or {}) do
    local text = "<optimized out>"
    if not p.problem then
      local good, v = pcall(expr.frame_value, frame, p.name)
      text = good and expr.format_argument(v) or ("<error: " .. v .. ">")
    end
    args[#args + 1] = snare.core.argument_text(p.name, text,
                                               entry_text(frame, p.name))
  end
  return table.concat(args, ", ")
end

--- "fib (n=4, s=0x5555 \"hi\") at demo.c:10": a frame as gdb names it,
-- its arguments printed as gdb prints them.
function report.frame_text(frame)
  local text = string.format("%s (%s)", frame.func or "??",
                             report.frame_args(frame))
  if frame.file then
    text = string.format("%s at %s:%d", text, report.file_name(frame.file,
      frame.index == 0 and frame.pc or frame.pc - 1), frame.line)
  end
  return text
end

--- "#1  0x00007f... in fib (n=4) at demo.c:10", a backtrace line: the pc
-- is shown unless the innermost frame is at the start of its line's
-- statement (a row with is_stmt), or
-- the frame is the caller of an inlined call (`callee_inlined`: gdb shows
-- the call site's line there, which has no pc of its own).
function report.stack_frame(frame, callee_inlined)
  local text = report.frame_text(frame)
  if text:match("^%?%?") then
    return string.format("#%-2d 0x%016x in %s ()%s", frame.index, frame.pc,
                         report.function_name(frame.pc),
                         from(frame.index == 0 and frame.pc or frame.pc - 1))
  end
  local row = frame.file and snare.line_at(frame.pc)
  if callee_inlined or frame.index == 0 and row and row.address == frame.pc
     and not row.not_stmt then
    return string.format("#%-2d %s", frame.index, text)
  end
  if not frame.file then
    text = text .. from(frame.index == 0 and frame.pc or frame.pc - 1)
  end
  return string.format("#%-2d 0x%016x in %s", frame.index, frame.pc, text)
end

--- Serialises v for print: integers in decimal (or hex with `hex`),
-- strings quoted, tables one level deep (other keys sorted).
function report.value(v, hex)
  if math.type(v) == "integer" then
    return hex and string.format("0x%x", v) or tostring(v)
  elseif type(v) == "string" then
    return string.format("%q", v)
  elseif type(v) ~= "table" or getmetatable(v) then
    return tostring(v)
  end
  local function show(x)
    return type(x) == "table" and tostring(x) or report.value(x, hex)
  end
  local parts, keys = {}, {}
  for i = 1, #v do
    parts[i] = show(v[i])
  end
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= #v) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = tostring(k) .. " = " .. show(v[k])
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

return report
