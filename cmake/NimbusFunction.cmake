# nimbus_add_function(<target> SOURCES <file>... [OUTPUT_DIRECTORY <dir>])
#
# Builds a Nimbus function: a shared library `<target>.so` that exports the
# entries of its NIMBUS_FUNCTION macros and links the Nimbus SDK. The handler
# `<target>:<function>` in function.yaml names it.
#
# When NIMBUS_FUNCTION_OUTPUT_DIR is set (as `nimbus build` does), the library
# is written there.
function(nimbus_add_function target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "nimbus_add_function(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nimbus::sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(NIMBUS_FUNCTION_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${NIMBUS_FUNCTION_OUTPUT_DIR}")
  endif()
endfunction()
