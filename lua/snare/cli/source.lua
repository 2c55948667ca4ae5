--- Source files for the prompt: their lines, read once and kept, and the
-- "LINE\ttext" form gdb prints them in.
-- @module snare.cli.source

local source = {}

local files = {} -- path -> list of lines, or false if unreadable

--- The lines of `path`, or nil if it cannot be read.
function source.lines(path)
  local lines = files[path]
  if lines == nil then
    local f = io.open(path)
    lines = false
    if f then
      lines = {}
      for line in f:lines() do
        lines[#lines + 1] = line
      end
      f:close()
    end
    files[path] = lines
  end
  return lines or nil
end

--- "8\t  if (n < 2)", or "8\tin PATH" when the file cannot be read.
function source.line(path, n)
  local lines = source.lines(path)
  if not lines then
    return string.format("%d\tin %s", n, path)
  end
  return string.format("%d\t%s", n, lines[n] or "")
end

return source
