-- symbol_listing.lua - what gdb's info functions, info variables and
-- info types share: their options, and their answer, the symbols with
-- debug information by source file ("File F:", gdb's order: the file's
-- name, its global symbols before its static ones, then the name; one
-- row per name), then the others ("Non-debugging symbols:", by address).
local regexp = require "snare.cli.regexp"

local M = {}

--- The options gdb takes before the regexp (`flags`: the letters
-- allowed, "qn" for info variables) and the regexp's text: a table of
-- the flags given, the text. An unknown option is the regexp's start,
-- as gdb takes it; "--" ends the options.
function M.options(args, flags)
  local given = {}
  while true do
    local word, rest = args:match("^(%S+)%s*(.-)$")
    if word == "--" then
      return given, rest
    end
    local letter = word and word:match("^%-(%a)$")
    if not (letter and flags:find(letter, 1, true)) then
      return given, args
    end
    given[letter] = true
    args = rest
  end
end

--- A listing of `what` ("functions", "variables", "types") of the
-- symbols matching the regexp `text` ("" for all).
function M.new(dbg, what, text)
  return { dbg = dbg, what = what, text = text,
           regex = text ~= "" and regexp.compile(dbg, text) or nil,
           rows = {}, others = {} }
end

--- Whether `name` matches the listing's regexp.
function M.matches(listing, name)
  return not listing.regex or not not listing.regex:find(name)
end

--- A symbol with debug information: its file (as gdb names it), name,
-- whether it is in gdb's global block, its line (0 or nil: none) and
-- text ("int counter;").
function M.add(listing, file, name, global, line, text)
  local rows = listing.rows
  rows[#rows + 1] = { file = file, name = name, global = global,
                      text = ((line or 0) ~= 0 and line .. ":\t" or "\t")
                        .. text }
end

--- A symbol without debug information, at run-time `address`, shown as
-- `name`; `linkage` (its ELF name, default `name`) orders those at one
-- address, as gdb's table of them.
function M.add_other(listing, name, address, linkage)
  listing.others[#listing.others + 1] = { name = name, address = address,
                                          linkage = linkage or name }
end

local function row_before(a, b)
  if a.file ~= b.file then
    return a.file < b.file
  elseif a.global ~= b.global then
    return a.global
  end
  return a.name < b.name
end

--- Prints the listing as gdb, its headers unless `quiet`.
function M.print(listing, quiet)
  local dbg = listing.dbg
  if not quiet then
    dbg:out(listing.text ~= "" and string.format(
      'All %s matching regular expression "%s":', listing.what, listing.text)
      or "All defined " .. listing.what .. ":")
  end
  table.sort(listing.rows, row_before)
  local last
  for _, row in ipairs(listing.rows) do
    if not (last and last.file == row.file and last.global == row.global
            and last.name == row.name) then
      if not last or last.file ~= row.file then
        dbg:out("")
        dbg:out(string.format("File %s:", row.file))
      end
      dbg:out(row.text)
    end
    last = row
  end
  local others = listing.others
  if #others > 0 then
    table.sort(others, function(a, b)
      if a.address ~= b.address then
        return a.address < b.address
      end
      return a.linkage < b.linkage
    end)
    if not quiet then -- (gdb's -q leaves out this header too)
      dbg:out("")
      dbg:out("Non-debugging symbols:")
    end
    for _, sym in ipairs(others) do
      dbg:out(string.format("0x%016x  %s", sym.address, sym.name))
    end
  end
end

--- The objects gdb knows, in its order: at a program's prompt the
-- program and the shared objects gdb would list (none before `run`; not
-- those only snare's agent loaded), else every loaded library.
function M.libraries(dbg)
  if not dbg.shared_objects then
    return dbg.libraries
  end
  local known = { dbg.libraries[1] }
  for _, row in ipairs(dbg.shared_objects()) do
    known[#known + 1] = row.library
  end
  return known
end

--- The run function of the command listing `what` with options `flags`
-- ("qn"): `collect(listing, lib, given)` adds the symbols of each object
-- gdb knows (`listing.dbg` is the debugger, `given` the options given).
function M.command(what, flags, collect)
  return function(dbg, args)
    local given, text = M.options(args, flags)
    local listing = M.new(dbg, what, text)
    for _, lib in ipairs(M.libraries(dbg)) do
      collect(listing, lib, given)
    end
    M.print(listing, given.q)
  end
end

return M
