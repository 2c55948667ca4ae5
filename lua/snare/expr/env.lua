--- Where the names of a C expression come from: C's scope rules over
-- snare's frames and libraries.
--
-- An identifier is, in order: a local or parameter of the frame in view
-- (located afresh at each evaluation), a file-scope variable of a loaded
-- library, an enumerator, a function or data symbol (a function of the
-- frame's compilation unit first, as gdb; else of a loaded library, else
-- of any object of the process, as the dynamic linker resolves it:
-- libc's strlen). Lookups at file scope are remembered
-- (they walk every unit of the DWARF).
-- @module snare.expr.env

local core = require "snare.core"
local snare = require "snare"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local abi = require "snare.expr.abi"
local languages = require "snare.languages"

local env = {}

local Env = {}
Env.__index = Env

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

--- Makes an environment. `opts` (every field optional):
-- `frame()` (the frame in view: an object with `locate(name)`, or nil),
-- `register(name)`, `frame_base()` (`$fp`; else rbp), `vector_register(n)`
-- (16 bytes) and
-- `set_register(name, n)`, `history` (a list of values, `$1` first),
-- `convenience` (a table of `$name` values), `active()` (whether the
-- target runs: memory can be allocated there), `call(addr, plan)` (runs a
-- function of the target with its arguments placed by a snare.expr.abi
-- plan, returns the call's `returned`), `set_variable(name, n)` (a
-- variable held in a register), `compiled_reads` (the frames are trapped
-- frames of breakpoint conditions: scalar variables are read through
-- the programs compiled for their breakpoint, frame:scalar).
function env.new(opts)
  return setmetatable({
    opts = opts or {},
    history_list = opts and opts.history or {},
    conveniences = opts and opts.convenience or {},
    cache = {},
    compiled_types = {}, -- pc -> name -> type, or false (compiled_reads)
  }, Env)
end

-- Remembers lookup(name) under kind: file-scope answers do not change.
local function cached(self, kind, name, lookup)
  local key = kind .. ":" .. tostring(name)
  local hit = self.cache[key]
  if hit == nil then
    hit = table.pack(lookup(name))
    self.cache[key] = hit
  end
  return table.unpack(hit, 1, hit.n)
end

--- Forgets file-scope lookups (after a library was loaded or closed).
function Env:forget()
  self.cache = {}
  self.compiled_types = {}
end

-- A scalar variable of a trapped frame through the read compiled once
-- for its breakpoint (frame:scalar): its type is looked up at the first
-- hit at a pc and remembered, so later hits touch no DWARF. Nil when the
-- compiled reader does not take the variable (then never tried again
-- at that pc).
local function compiled_variable(self, frame, name)
  local pc = frame.pc
  local known = self.compiled_types[pc]
  if not known then
    known = {}
    self.compiled_types[pc] = known
  end
  local t = known[name]
  if t == false then
    return nil
  end
  local bytes, n = frame:scalar(name)
  if bytes and t == nil then
    local where = frame:locate(name)
    t = where and not where.optimized_out and types.from_ref(where.type)
    if t and types.strip(t).size ~= #bytes then
      t = nil
    end
  end
  if not bytes or not t then
    known[name] = false
    return nil
  end
  known[name] = t
  return { type = t, bytes = bytes, number = n, variable = name }
end

function Env:variable(name)
  local frame = self.opts.frame and self.opts.frame()
  if not frame or not frame.locate then
    return nil
  end
  if self.opts.compiled_reads and frame.scalar then
    local v = compiled_variable(self, frame, name)
    if v then
      return v
    end
  end
  local where, why = frame:locate(name)
  if not where then
    if why and not why:match("^no variable") and
       not why:match("not found") then
      fail("%s", why)
    end
    return nil
  end
  return env.located(where, name)
end

--- The value (a snare.expr value) of variable `name` that
-- frame:locate found at `where`.
function env.located(where, name)
  local t = types.from_ref(where.type)
  if where.synthetic then
    -- gdb's <synthetic pointer>: no value, but what it points to is known
    local target = types.strip(t).target
    local pointee = where.optimized_out
        and { type = target, optimized_out = true, variable = name }
      or where.address and value.at(target, where.address)
      or { type = target, bytes = where.bytes }
    return { type = t, synthetic = pointee, variable = name }
  end
  if where.optimized_out then
    return { type = t, optimized_out = true, variable = name }
  elseif where.address then
    return value.at(t, where.address)
  end
  return { type = t, bytes = where.bytes, variable = name }
end

-- The value of static member `name` ("ns::K::kMax") that its class's
-- declaration gives (DW_AT_const_value: a static const member with no
-- definition of its own), or nil.
local function class_constant(name)
  local scope, member = name:match("^(.+)::([%w_]+)$")
  local ref = scope and core.find_type(scope)
  if not ref then
    return nil
  end
  for _, part in ipairs(types.strip(types.from_ref(ref)).parts or {}) do
    local v = part.kind == "static_member" and part.name == member
      and value.constant(part)
    if v then
      v.constant = name -- (what gdb names where its address is asked for)
      return v
    end
  end
end

function Env:global(name)
  local ref, address = cached(self, "global", name, core.find_global)
  if ref then
    return value.at(types.from_ref(ref), address)
  end
  return name:find("::", 1, true) and cached(self, "class constant", name,
                                             class_constant) or nil
end

function Env:enumerator(name)
  local ref, n = cached(self, "enum", name, core.find_enumerator)
  if ref then
    return types.from_ref(ref), n
  end
end

-- The address of function `name` of the compilation unit of the frame
-- in view, or nil: gdb's lookup starts in the frame's block, so there a
-- function of the frame's own file wins over the program's of that name
-- (data does not: gdb reads a library's global where the dynamic linker
-- bound it, as the lookup below does).
local function own_function(self, name)
  local frame = self.opts.frame and self.opts.frame()
  local pc = frame and frame.pc
  if not pc then
    return nil
  end
  return cached(self, "own function", pc .. " " .. name, function()
    local lib = core.library_at(pc)
    local info = lib and lib:symbol_info(name)
    if not (info and info.is_function) then
      return nil
    end
    local here, there = core.unit_at(pc), core.unit_at(info.address)
    if here and there and here.name == there.name
       and here.comp_dir == there.comp_dir then
      return info.address
    end
  end)
end

--- A symbol's address and whether it is a function.
function Env:symbol(name)
  local own = own_function(self, name)
  if own then
    return own, true
  end
  return cached(self, "symbol", name, function()
    local addr, lib = snare.symbol(name)
    if not addr then -- any object of the process: libc's strlen, abs
      return core.process_symbol(name)
    end
    local info = lib and lib:symbol_info(name)
    return addr, info == nil or info.is_function
  end)
end

--- The functions a C++ name stands for (its overloads: ns::twice), each
-- {address =, type =} with its DWARF type, highest address first; an
-- empty list for fewer than two (the symbol answers for one).
function Env:overloads(name)
  return cached(self, "overloads", name, function()
    local ok, places = pcall(core.locations, name)
    local list, seen = {}, {}
    for _, place in ipairs(ok and places or {}) do
      local sym = snare.symbol_at(place)
      -- (not a function this one is inlined into: clang -O2 inlines
      -- Json::Value::isNull into operator bool)
      local full = sym and (core.demangle(sym.name, "full") or sym.name)
      local named = full and (full == name or full:sub(1, #name) == name
                              and full:sub(#name + 1, #name + 1):match("[(<]"))
      local ft = named and sym.is_function and not seen[sym.address]
        and self:function_type(sym.address)
      if ft then
        seen[sym.address] = true
        list[#list + 1] = { address = sym.address, type = ft }
      end
    end
    table.sort(list, function(a, b) return a.address > b.address end)
    return #list > 1 and list or {}
  end)
end

function Env:function_type(addr)
  local ref = cached(self, "function", addr, core.find_function_type)
  return ref and types.from_ref(ref) or nil
end

--- A type by name: DWARF's ("struct node", "counter_t"), else nil.
function Env:type(name)
  local ref = cached(self, "type", name, core.find_type)
  return ref and types.from_ref(ref) or nil
end

--- Whether expressions are C++ (gdb's language "auto"): the language of
-- the unit of the frame in view (its pc, or the call's return address
-- less one in an outer frame), else of main's, the one gdb starts with.
function Env:cplus()
  local frame = self.opts.frame and self.opts.frame()
  local pc = frame and frame.pc
  if pc and (frame.index or 0) > 0 then
    pc = pc - 1
  end
  if not pc then
    local main, is_function = self:symbol("main")
    pc = is_function and main
  end
  return pc and languages.name(cached(self, "language", pc, core.language_at))
    == "c++" or false
end

--- Whether name is a typedef of a loaded library (the parser asks).
function Env:is_typedef(name)
  return self:type(name) ~= nil
end

function Env:register(name)
  local read = self.opts.register
  if not read then
    fail("No registers.")
  end
  if name == "fp" then -- gdb's frame base where the environment knows it
    if self.opts.frame_base then
      return self.opts.frame_base()
    end
    name = "rbp"
  end
  return read(name)
end

--- Vector register xmm`n`'s 16 bytes.
function Env:vector_register(n)
  local read = self.opts.vector_register
  if not read then
    fail("No registers.")
  end
  return read(n)
end

function Env:set_register(name, n)
  local write = self.opts.set_register
  if not write then
    fail("No registers.")
  end
  write(name, n)
end

function Env:set_variable(name, n)
  local write = self.opts.set_variable
  if not write then
    fail("Left operand of assignment is not an lvalue.")
  end
  write(name, n)
end

--- History value i ($i), or from the end when negative ($ is -1, $$N
-- is -1 - N); gdb 13's errors where there is none.
function Env:history(i)
  local list = self.history_list
  local n = #list
  if i < 0 then
    if n == 0 and i == -1 then
      fail("The history is empty.")
    elseif n + 1 + i <= 0 then
      fail("History does not go back to $$%d.", -1 - i)
    end
    i = n + 1 + i
  end
  local v = list[i]
  if not v then
    fail("History has not yet reached $%d.", i)
  end
  return v
end

function Env:convenience(name)
  return self.conveniences[name]
end

function Env:set_convenience(name, v)
  self.conveniences[name] = v
end

-- (before `run` the program is parked in the agent's constructor, with
-- no C library ready: gdb has no process to call in then)
function Env:call(addr, plan)
  local call = self.opts.call
  if not call then
    fail("Cannot call functions in this context.")
  elseif self.opts.active and not self.opts.active() then
    fail("You can't do that without a process to debug.")
  end
  return call(addr, plan)
end

--- The address of a copy of `bytes` in the target's memory, as gdb
-- places a value that is not in memory where an address is needed (a
-- string literal's: `x/s "abc"`, `&"abc"`): in a block the target's
-- malloc gives, called as gdb calls it. `opts.active()`, when given,
-- says whether the target runs (the prompt on a program before `run`:
-- gdb has no process then).
function Env:copy_to_target(bytes)
  if self.opts.active and not self.opts.active() then
    fail("evaluation of this expression requires the target program to be "
         .. "active")
  end
  local malloc, is_function = self:symbol("malloc")
  if not (malloc and is_function) then
    fail('evaluation of this expression requires the program to have a '
         .. 'function "malloc".')
  end
  local void_pointer = types.pointer(types.void)
  local returned = self:call(malloc, abi.plan({ { word = #bytes } },
                                              void_pointer))
  local addr = value.number(abi.result(void_pointer, returned))
  if addr == 0 or not snare.write(addr, bytes) then
    fail("Cannot access memory at address 0x%x", addr)
  end
  return addr
end

return env
