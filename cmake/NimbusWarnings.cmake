# nimbus_warnings(<target>): the project's warning flags, as errors when NIMBUS_WERROR is on
# (scripts/test.sh, and so CI, turns it on; it is off by default, so that a compiler newer or
# older than CI's never stops a user's build).
function(nimbus_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
  # GCC 12's -Wrestrict misfires on std::string concatenation once -O3 inlines it
  # ("memcpy accessing 9223372036854775810 or more bytes ... may overlap", on `"/" + std::to_string(i)`;
  # GCC bug 105651, fixed in GCC 13). Which call sites it flags depends on inlining, so no
  # rewrite of them stays clean: the warning is off for that compiler only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(NIMBUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
