# Embeds a file into a C source as a byte array, at build time:
#   cmake -DIN=dashboard.html -DOUT=dashboard_html.c -DNAME=hub_dashboard_html
#         -P embed.cmake
# writes `const unsigned char NAME[]` and `const size_t NAME_len`. A
# comment `/* include FILE */` in IN is replaced by FILE, from IN's own
# directory: that is how the pages share common.css and common.js and
# still are each one file as served. The output is generated into the
# build directory and never committed; it is rewritten only when its
# content changes, so that an unchanged page does not relink the hub.
foreach(var IN ITEMS IN OUT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${IN}" content)
get_filename_component(in_dir "${IN}" DIRECTORY)
string(REGEX MATCHALL "/\\* include [A-Za-z0-9_.-]+ \\*/" includes
  "${content}")
foreach(mark IN LISTS includes)
  string(REGEX REPLACE "^/\\* include (.+) \\*/$" "\\1" inc "${mark}")
  if(NOT EXISTS "${in_dir}/${inc}")
    message(FATAL_ERROR "embed.cmake: ${IN} includes ${inc}, which is not "
      "in ${in_dir}")
  endif()
  file(READ "${in_dir}/${inc}" part)
  string(REGEX REPLACE "\n$" "" part "${part}")
  string(REPLACE "${mark}" "${part}" content "${content}")
endforeach()
string(HEX "${content}" hex)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
if(len EQUAL 0)
  message(FATAL_ERROR "embed.cmake: ${IN} is empty")
endif()
# Sixteen bytes a line.
string(REPEAT "[0-9a-f]" 32 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "\n\t$" "" bytes "${bytes}")
get_filename_component(in_name "${IN}" NAME)

set(text "/* Generated from ${in_name} by embed.cmake: do not edit. */
#include <stddef.h>

extern const unsigned char ${NAME}[];
extern const size_t        ${NAME}_len;

const unsigned char ${NAME}[] = {
\t${bytes}
};
const size_t ${NAME}_len = ${len};
")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
