# spec/corpus_oracle/programs.sh - sourced by the gdb oracles: which
# programs of the real-world corpus (tools/corpus) they compare snare with
# gdb on, at which settings, with which sources, functions and workloads.
# Samples are fixed lists, so every run compares the same things.
# shellcheck shell=bash

corpus_oracle_settings=(gcc-O0 gcc-O1 gcc-O2 clang-O2)
corpus_oracle_programs=(bzip2 xz xmlwf yaml-events)

# corpus_oracle_bin: the directory of one setting's builds (built by
# tools/corpus/build on first use, cached for every later run; under the
# cache's lock, as make corpus-build builds it: two builds writing the
# same objects corrupt them).
corpus_oracle_bin() {
  local root=$1 setting=$2
  local cache=${SNARE_CORPUS_CACHE:-/var/cache/snare/corpus}
  if [[ ! -d $root/build/corpus/bin/$setting ]]; then
    mkdir -p "$cache"
    flock "$cache/.lock" "$root/tools/corpus/build" >&2 || return 1
  fi
  echo "$root/build/corpus/bin/$setting"
}

# corpus_oracle_sources PROGRAM: source files whose every line is compared.
corpus_oracle_sources() {
  case $1 in
    bzip2) echo compress.c huffman.c ;;
    xz) echo lzma_encoder.c crc32_fast.c ;;
    xmlwf) echo xmlrole.c xmlfile.c ;;
    yaml-events) echo parser.c reader.c ;;
  esac
}

# corpus_oracle_functions PROGRAM: functions the workload reaches, where
# backtraces are compared and step sequences start.
corpus_oracle_functions() {
  case $1 in
    bzip2) echo BZ2_compressBlock BZ2_hbMakeCodeLengths BZ2_bzCompressInit \
             generateMTFValues ;;
    xz) echo lzma_lzma_encoder_init lzma_crc32 lzma_block_header_encode \
          lzma_code ;;
    xmlwf) echo XML_ParseBuffer XmlPrologStateInit doProlog \
             XML_SetElementHandler ;;
    yaml-events) echo yaml_parser_parse yaml_parser_update_buffer \
                   yaml_parser_fetch_more_tokens yaml_event_delete ;;
  esac
}

# corpus_oracle_step_function PROGRAM: where step sequences start: a
# function the workload reaches early whose lines run no long loop (gdb
# single-steps a line's loop instruction by instruction).
corpus_oracle_step_function() {
  case $1 in
    bzip2) echo BZ2_bzCompressInit ;;
    xz) echo lzma_block_header_encode ;;
    xmlwf) echo XmlPrologStateInit ;;
    yaml-events) echo yaml_parser_update_buffer ;;
  esac
}

# corpus_oracle_inputs DIR: writes the workloads' inputs into DIR.
corpus_oracle_inputs() {
  awk 'BEGIN { for (i = 1; i <= 400; i++)
                 printf "line %d value %d lorem ipsum\n", i, (i * i) % 97 }' \
    >"$1/text"
  awk 'BEGIN { print "<?xml version=\"1.0\"?>"; print "<doc a=\"1\">"
               for (i = 1; i <= 20; i++) printf "  <item id=\"%d\">%d</item>\n", i, i
               print "</doc>" }' >"$1/doc.xml"
  awk 'BEGIN { print "items:"
               for (i = 1; i <= 20; i++) printf "  - {id: %d, tags: [a, b]}\n", i }' \
    >"$1/doc.yaml"
}

# corpus_oracle_args PROGRAM DIR: the workload's arguments (after argv[0]).
corpus_oracle_args() {
  case $1 in
    bzip2 | xz) echo "-c $2/text" ;;
    xmlwf) echo "$2/doc.xml" ;;
    yaml-events) echo "$2/doc.yaml" ;;
  esac
}

# corpus_oracle_known_differences: values and frames of the frames oracle
# where snare and gdb 13 differ for a reason that is not snare's error,
# one a line: "PROGRAM/SETTING FUNCTION NAME reason" (NAME "-" for a frame
# gdb shows that snare does not). spec/frames_oracle/corpus.py counts them
# as explained, prints them, and fails the run on any other difference.
corpus_oracle_known_differences() {
  cat <<'LIST'
bzip2/gcc-O0 BZ2_bzWriteClose64 n uninitialised at the stop: stack garbage differs (snare calls main on its worker's used stack)
bzip2/gcc-O0 BZ2_bzWriteClose64 n2 uninitialised at the stop: stack garbage
bzip2/gcc-O0 BZ2_bzWriteClose64 ret uninitialised at the stop: stack garbage
bzip2/gcc-O0 compressStream ret uninitialised at the stop: stack garbage
bzip2/gcc-O0 compress n uninitialised at the stop: stack garbage
bzip2/gcc-O0 sendMTFValues maxLen uninitialised at the stop: stack garbage
bzip2/gcc-O0 sendMTFValues minLen uninitialised at the stop: stack garbage
bzip2/gcc-O0 sendMTFValues selCtr uninitialised at the stop: stack garbage
xmlwf/gcc-O0 main result uninitialised at the stop: stack garbage
xmlwf/gcc-O0 main parser uninitialised before XML_ParserCreate returns: stack garbage
xz/gcc-O0 lzma_stream_header_encode crc uninitialised at the stop: stack garbage
xz/gcc-O0 stream_encoder_init ret_ uninitialised: return_if_error's ret_ while its call runs
xz/gcc-O0 lzma_stream_encoder ret_ uninitialised: return_if_error's ret_ while its call runs
xmlwf/gcc-O0 XML_ProcessFile filemapRes uninitialised at the stop: stack garbage
xmlwf/gcc-O0 XML_ProcessFile result uninitialised at the stop: stack garbage
xmlwf/gcc-O1 XML_ProcessFile result uninitialised at the stop: stack garbage
xmlwf/gcc-O2 XML_ProcessFile result uninitialised at the stop: stack garbage
xmlwf/gcc-O0 main attackThresholdBytes uninitialised (set only with -a): gdb's fresh stack is zero, snare's worker stack is not
xmlwf/gcc-O1 main attackThresholdBytes uninitialised (set only with -a): gdb's fresh stack is zero, snare's worker stack is not
yaml-events/gcc-O0 main type uninitialised before the first event: stack garbage
yaml-events/gcc-O0 yaml_parser_update_buffer first uninitialised at the stop: stack garbage
xmlwf/clang-O2 processFile data gdb wrong: DW_OP_entry_value(rdi) at an indirect call site that lists no rdi parameter; gdb shows nbytes (543), the source passes p
xmlwf/clang-O2 processFile size gdb wrong: entry value of rsi shown as 1 while XML_ParseBuffer below got len=543=(int)size
xmlwf/clang-O2 filemap p gdb wrong: p is in rax (call-clobbered) at the call; gdb shows the innermost frame's rax
xmlwf/clang-O2 main processFlags gdb reads rdx (call-clobbered) of the innermost frame in an outer frame; snare reports it optimized out
xmlwf/clang-O2 parserInit encodingName gdb reads rsi (call-clobbered) of the innermost frame in an outer frame; snare reports it optimized out and encodingName@entry=0x0
LIST
}
