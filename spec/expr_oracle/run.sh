#!/usr/bin/env bash
# run.sh - gdb as the oracle of snare's C expressions and value printing
# on real programs: at the first hit of a function of a corpus program
# (tools/corpus, gcc -O0), gdb prints each expression of a list, and so
# does snare (spec/expr_oracle/at_stop.lua under `snare exec`). The two
# texts must be the same once addresses are masked (gdb runs the program
# without address randomisation, snare with its agent preloaded, so
# addresses differ; the symbols, offsets, strings and values around them
# must not). Prints each mismatch and the count; exits non-zero on any.
#
# Usage: spec/expr_oracle/run.sh
#   SNARE_CORPUS_CACHE  the corpus cache (tools/corpus/build)
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
. tools/corpus/settings
cache=${SNARE_CORPUS_CACHE:-/var/cache/snare/corpus}
bin=$(corpus_tree "$root/tools/corpus" "$cache")/gcc-O0
if [ ! -x "$bin/brotli" ] || [ ! -x "$bin/yaml-reformat" ] ||
   [ ! -x "$bin/xmlwf" ]; then
  echo "expr oracle: no corpus build in $bin (tools/corpus/build); skipped"
  exit 0
fi
export LUA_PATH="$root/lua/?.lua;$root/lua/?/init.lua;;"
export LUA_CPATH="$root/build/lua/?.so;;"
# Fresh heap memory zeroed in both runs: uninitialised bytes a struct
# holds must not differ with the agent's allocations.
export MALLOC_PERTURB_=255
work=$(mktemp -d)
if [ -n "${ORACLE_KEEP:-}" ]; then echo "expr oracle: files in $work"; else trap 'rm -rf "$work"' EXIT; fi

# Inputs: a brotli stream, a YAML document, an XML document.
for i in $(seq 50); do echo "hello hello hello world $i"; done >"$work/text"
"$bin/brotli" -c "$work/text" >"$work/text.br"
printf '%%YAML 1.1\n---\nitems:\n  - {id: 1, name: "a b", tags: [x, y]}\n  - &anchor plain\n  - *anchor\ntext: |\n  block\n...\n' \
  >"$work/doc.yaml"
printf '<?xml version="1.0"?>\n<doc a="1"><x:i xmlns:x="urn:x">t&amp;</x:i></doc>\n' \
  >"$work/doc.xml"

compared=0
mismatches=0
# the same expressions through a condition's two paths (specialised.lua)
specialised=0
specialised_mismatches=0
fast_only=0

# mask FILE: addresses as 0xADDR, then only the "@@@" and "$ =" lines.
mask() {
  sed -E -e 's/0x[0-9a-f]+/0xADDR/g' "$1"
}

# case NAME BREAK STDIN PROGRAM ARGS... (expressions on stdin)
case_() {
  local name=$1 where=$2 stdin=$3 program=$4
  shift 4
  local exprs=$work/$name.exprs
  cat >"$exprs"
  local gdb_args=(-nx -batch -ex "set pagination off" -ex "break $where"
                  -ex "run $* <$stdin >/dev/null")
  while IFS= read -r e; do
    gdb_args+=(-ex "echo @@@ $e\\n" -ex "print $e")
  done <"$exprs"
  timeout 120 gdb "${gdb_args[@]}" "$bin/$program" 2>&1 \
    | sed -nE -e '/^@@@ /p' -e 's/^\$[0-9]+ = /$ = /p' \
             -e '/^(No symbol|There is no|Cannot|Attempt|A syntax)/p' \
    >"$work/$name.gdb"
  ORACLE_BREAK=$where ORACLE_EXPRS=$exprs ORACLE_OUT=$work/$name.snare \
    timeout 120 bin/snare exec spec/expr_oracle/at_stop.lua -- \
    "$bin/$program" "$@" <"$stdin" >/dev/null 2>"$work/$name.err"
  mask "$work/$name.gdb" >"$work/$name.gdb.m"
  mask "$work/$name.snare" >"$work/$name.snare.m" 2>/dev/null || :
  local n bad
  n=$(grep -c '^@@@ ' "$exprs.m" 2>/dev/null || wc -l <"$exprs")
  bad=$(diff "$work/$name.gdb.m" "$work/$name.snare.m" | grep -c '^>')
  if [ "$bad" -ne 0 ]; then
    echo "--- $name: gdb (<) and snare (>) differ:"
    python3 spec/expr_oracle/first_difference.py "$work/$name.gdb.m" \
      "$work/$name.snare.m"
    sed -n 1,5p "$work/$name.err"
  fi
  compared=$((compared + n))
  mismatches=$((mismatches + bad))
  two_paths "$name" "$where" "$stdin" "$program" "$@" <"$exprs"
}

# two_paths NAME BREAK STDIN PROGRAM ARGS... (expressions on stdin): the
# expressions through a condition's two paths at the stop, no gdb.
two_paths() {
  local name=$1 where=$2 stdin=$3 program=$4
  shift 4
  local exprs=$work/$name.fast.exprs
  cat >"$exprs"
  ORACLE_BREAK=$where ORACLE_EXPRS=$exprs ORACLE_OUT=$work/$name.fast \
    timeout 120 bin/snare exec spec/expr_oracle/specialised.lua -- \
    "$bin/$program" "$@" <"$stdin" >/dev/null 2>"$work/$name.fast.err"
  local summary
  summary=$(grep '^specialised ' "$work/$name.fast" 2>/dev/null)
  if [ -z "$summary" ]; then
    echo "--- $name: the specialised run gave no summary:"
    sed -n 1,5p "$work/$name.fast.err"
    specialised_mismatches=$((specialised_mismatches + 1))
    return
  fi
  grep -A2 '^MISMATCH ' "$work/$name.fast"
  # "specialised N of M, mismatches K"
  local taken bad_fast
  taken=$(awk '{ print $2 }' <<<"$summary")
  bad_fast=$(awk '{ print $6 }' <<<"$summary")
  specialised=$((specialised + taken))
  specialised_mismatches=$((specialised_mismatches + bad_fast))
}

# brotli -d: the decoder's state (enums, bitfields, unions, function
# pointers, arrays, nested structs, pointers into static tables).
# (Not *s whole: context_modes is a one-byte allocation printed as a
# string, whose bytes past the end are the allocator's and differ.)
case_ brotli ProcessCommandsInternal /dev/null brotli -dc "$work/text.br" <<'X'
s->buffer
s->insert_copy_hgroup
s->distance_hgroup
*s->literal_hgroup.htrees[0]
s->literal_hgroup.codes[1]
s->block_length
s->num_block_types
s->dist_context_map_slice
s->htree_command
s->dictionary
*s->dictionary
s->transforms->num_transforms
s->should_wrap_ringbuffer
s->canny_ringbuffer_allocation
s->large_window
s->window_bits
s->error_code
s->substate_metablock_header
s->substate_decode_uint8
s->state
s->alloc_func
s->free_func
s->ringbuffer
s->is_last_metablock
s->size_nibbles
s->dist_rb
s->dist_rb[s->dist_rb_idx & 3]
s->literal_hgroup
s->literal_hgroup.htrees[0]
s->context_lookup
s->buffer
s->br
s->br.next_in
*s->br.next_in
s->mtf
s->block_type_rb
s->ringbuffer_size - 1 == s->ringbuffer_mask
s->meta_block_remaining_len / 3
&s->br
(long)s->pos + 1
sizeof(*s)
sizeof s->dist_rb
safe
!safe && s->pos == 0
s->num_block_types[0] * 2 + s->num_block_types[1]
X

# yaml-reformat: an event of the emitter (a union of structs per event
# type, enums, yaml_char_t strings) and the emitter itself.
case_ yaml_emit yaml_emitter_emit "$work/doc.yaml" yaml-reformat <<'X'
*event
event->type
event->data
event->data.scalar
event->start_mark
emitter->state
emitter->write_handler
emitter->buffer
emitter->best_indent
emitter->states
emitter->events.head[0].type
*emitter->events.start
emitter->indention
emitter->canonical + emitter->unicode
X

# xmlwf: expat's parser and encoding (tables of function pointers to
# static functions, enums, XML_Bool chars, strings of the document).
case_ xmlwf doContent /dev/null xmlwf "$work/doc.xml" <<'X'
parser->m_errorCode
parser->m_startElementHandler
parser->m_parsingStatus
parser->m_processor
*parser->m_dtd
parser->m_dtd->pool
parser->m_ns
parser->m_tagLevel
enc->scanners
enc->minBytesPerChar
*enc
s
end - s
*s
s[1]
startTagLevel
haveMore
account
account == XML_ACCOUNT_DIRECT
nextPtr
*nextPtr
X

# Conditions as people write them, over brotli's decoder state: C's
# promotions and conversions, signedness, shifts, division, pointers.
two_paths brotli_conditions ProcessCommandsInternal /dev/null brotli -dc \
  "$work/text.br" <<'X'
s->pos > 3 && s->window_bits == 22
s->pos * -3 / 7
-s->pos % 5
~s->pos
(char)s->window_bits
(unsigned char)(s->window_bits * 20)
(short)(s->pos * 70000)
s->pos > 2u
s->pos - 100 > 0u
(unsigned)s->pos - 100 < 10
s->window_bits << 27
(long)s->window_bits << 40
s->window_bits >> 2
-s->window_bits >> 1
(float)s->window_bits / 3
s->window_bits / 3.0 > 7.3
s->ringbuffer + 1 > s->ringbuffer
&s->dist_rb[3] - &s->dist_rb[0]
s->dist_rb[1] - s->dist_rb[0]
s->ringbuffer != 0 ? 1 : 2
!s->ringbuffer || s->pos == 0
(_Bool)s->window_bits
s->ringbuffer[0] == 'h'
*s->ringbuffer
s->br.next_in[0]
s->literal_hgroup.htrees[0]->bits
sizeof(*s) == 0
s->ringbuffer_mask & 0xff
s->ringbuffer_mask | 1u
s->ringbuffer_mask ^ -1
1 / (s->pos - s->pos)
s->error_code < 0
s->state == BROTLI_STATE_COMMAND_BEGIN
(long)s->pos * 1000000 * 1000000
s->pos, s->window_bits + 1
*(int *)0, s->pos
*(int *)0 == s->pos
X
fast_only=$(wc -l <"$work/brotli_conditions.fast.exprs")

echo "expr oracle: $compared expressions compared with gdb, $mismatches mismatches"
echo "expr oracle: $specialised of $((compared + fast_only)) compiled for their site (conditions; $fast_only of them not printed by gdb), $specialised_mismatches differ from the general evaluator"
[ "$mismatches" -eq 0 ] && [ "$specialised_mismatches" -eq 0 ]
