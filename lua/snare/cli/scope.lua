--- Lua expressions at the prompt: what names mean in `print`, `x`, `call`
-- arguments, `lua` chunks and breakpoint conditions.
--
-- Lookup order: registers (`rax`..`r15`, `rip`, `eflags`, `pc`, `sp`; of
-- the stopped worker, or of the trapped frame in a condition), helpers
-- (`mem`, `read`, `read_u8`..`read_i64`, `read_ptr`, `read_cstring`,
-- `hex`, `describe`, `snare`, `session`, `stop`), the C variables of the
-- selected frame (DWARF), variables made by `lua` chunks, Lua's globals,
-- then symbols of the loaded libraries (their address). `$1` is a value
-- printed before, `$rdi` is `rdi`.
-- @module snare.cli.scope

local snare = require "snare"

local scope = {}

local registers = {}
for _, name in ipairs(snare.registers) do
  registers[name] = true
end
registers.pc, registers.sp = true, true
scope.registers = registers

local function checked(value, err)
  if value == nil then
    error(err, 0)
  end
  return value
end

--- `mem.u32[addr]`, `mem.i64[addr]`, `mem.ptr[addr]`, `mem.str[addr]`
-- (a C string), `mem(addr, n)` (bytes): reads that raise a clear error on
-- an unreadable address.
scope.mem = setmetatable({}, {
  __call = function(_, addr, n)
    return checked(snare.read(addr, n))
  end,
})
for _, kind in ipairs { "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
                        "ptr" } do
  local read = snare["read_" .. kind]
  scope.mem[kind] = setmetatable({}, {
    __index = function(_, addr) return checked(read(addr)) end,
  })
end
scope.mem.str = setmetatable({}, {
  __index = function(_, addr) return checked(snare.read_cstring(addr)) end,
})

local helpers = {
  mem = scope.mem, hex = snare.hex, describe = snare.describe, snare = snare,
  read = snare.read, read_cstring = snare.read_cstring,
}
for _, kind in ipairs { "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
                        "ptr" } do
  helpers["read_" .. kind] = snare["read_" .. kind]
end

--- Makes an environment. `source` answers what depends on the moment:
-- `source.reg(name)` (raises if there are no registers),
-- `source.set_reg(name, value)` (optional), `source.fields` (extra names,
-- e.g. `session`, `stop`), `source.var(name)` (optional: a C variable's
-- value or nil), `source.vars` (the table `lua` chunks assign into;
-- assignments to register names set the register instead).
function scope.new(source)
  local vars = source.vars or {}
  local fields = source.fields or {}
  return setmetatable({}, {
    __index = function(_, name)
      if registers[name] then
        return source.reg(name)
      end
      local value = helpers[name]
      if value == nil then value = fields[name] end
      if value == nil and source.var then value = source.var(name) end
      if value == nil then value = vars[name] end
      if value == nil then value = _G[name] end
      if value == nil and type(name) == "string" then
        value = snare.symbol(name)
      end
      if value == nil then
        error(string.format('No symbol "%s" in current context.', name), 0)
      end
      return value
    end,
    __newindex = function(_, name, value)
      if registers[name] and source.set_reg then
        source.set_reg(name, value)
      else
        vars[name] = value
      end
    end,
  })
end

-- gdb's `$name` and `$N` in Lua source: `$rdi` is `rdi`, `$2` the second
-- printed value.
local function translate(text)
  text = text:gsub("%$(%d+)", "__values[%1]")
  return (text:gsub("%$([%a_][%w_]*)", "%1"))
end

--- Compiles `text` as an expression (or, with `statements`, a chunk) in
-- env. Raises "syntax error: ..." if it does not compile.
function scope.compile(text, env, statements)
  text = translate(text)
  local chunk, err
  if not statements then
    chunk = load("return " .. text, "=expression", "t", env)
  end
  if not chunk then
    chunk, err = load(text, "=expression", "t", env)
  end
  if not chunk then
    error("syntax error: " .. err:gsub("^expression:%d+: ", ""), 0)
  end
  return chunk
end

--- Evaluates `text` in env and returns all its values.
function scope.eval(text, env)
  return scope.compile(text, env)()
end

return scope
