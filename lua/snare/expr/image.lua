-- image.lua - the program's image before it runs, as gdb sees it then.
-- gdb has not loaded the program yet: it shows an address of the
-- program's code or data as the file gives it (0x11d4, where the process
-- has 0x5555555551d4) and reads such an address from the file's
-- sections. The prompt on a program (snare debug -- PROG) sets
-- `image.unloaded` until `run`; addresses are shown, and read, through
-- the two functions here.
local image = {}

--- nil, or {from =, to =, bias =, in_section = function(file_address)}:
-- the image's run-time range, its load bias, and whether a file address
-- lies in one of its sections (what gdb can read before `run`).
image.unloaded = nil

--- The address gdb shows for `addr`: before `run`, the file's address of
-- a place in the program's image; else `addr`.
function image.shown(addr)
  local unloaded = image.unloaded
  if unloaded and addr >= unloaded.from and addr < unloaded.to then
    return addr - unloaded.bias
  end
  return addr
end

--- The process's address of what gdb, before `run`, takes `addr` to be:
-- a file address in a section of the program, the place it has now.
function image.loaded(addr)
  local unloaded = image.unloaded
  if unloaded and addr >= unloaded.from - unloaded.bias
     and addr < unloaded.to - unloaded.bias and unloaded.in_section(addr) then
    return addr + unloaded.bias
  end
  return addr
end

return image
