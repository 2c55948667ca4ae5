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

local last_path, last_missing -- the file of the line shown last

--- Shows line `n` of `path` at a stop or a selected frame, through
-- `out(text)`, after `prefix` (an address) if given. A file that cannot
-- be read is said once, as gdb 13 says it: the first line of it shown
-- in a row is gdb's error, on stderr ("74\tPATH: No such file or
-- directory."), the next ones "74\tin PATH".
function source.show(out, path, n, prefix)
  prefix = prefix or ""
  local readable = source.lines(path) ~= nil
  local said = not readable and path == last_path and last_missing
  last_path, last_missing = path, not readable
  if readable or said then
    out(prefix .. source.line(path, n))
  else
    io.stdout:flush()
    io.stderr:write(prefix, string.format(
      "%d\t%s: No such file or directory.\n", n, path))
  end
end

return source
