# cmake -DSOURCE_DIR=... -DOUTPUT=... -P git_description.cmake
# Writes OUTPUT, a header with `git describe --always --dirty` of SOURCE_DIR when
# SOURCE_DIR is the top of a git checkout, and an empty string otherwise (a source
# tarball, even one unpacked inside another repository). Run at every build; the
# file is rewritten only when the description changes, so only its user recompiles.
cmake_minimum_required(VERSION 3.25)  # a -P script sets no policies of its own
set(description "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel
                  OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE failed ERROR_QUIET)
  file(REAL_PATH "${SOURCE_DIR}" source_real)
  if(NOT failed AND NOT top STREQUAL "")
    file(REAL_PATH "${top}" top_real)
    if(top_real STREQUAL source_real)
      execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} describe --always --dirty
                      OUTPUT_VARIABLE description OUTPUT_STRIP_TRAILING_WHITESPACE
                      RESULT_VARIABLE failed ERROR_QUIET)
      if(failed)
        set(description "")
      endif()
    endif()
  endif()
endif()
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT
  "// Generated at build time by src/cli/git_description.cmake.\n#pragma once\n\nnamespace ukstack {\n\n// `git describe --always --dirty` of the checkout built; empty when not built from one.\ninline constexpr const char* kGitDescription = \"@description@\";\n\n}  // namespace ukstack\n"
  @ONLY)
