# Helpers that give every first-party target the same flags. Third-party code is never touched:
# flags are per target, not appended to CMAKE_CXX_FLAGS.

# cspwatch_target_defaults(<target>): warnings (as errors unless CSPWATCH_WERROR=OFF), includes
# from the repository root ("common/status.h"), and the sanitizers chosen in CSPWATCH_SANITIZE.
function(cspwatch_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local)
  if(CSPWATCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CSPWATCH_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=${CSPWATCH_SANITIZE} -fno-omit-frame-pointer
                                            -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=${CSPWATCH_SANITIZE})
  endif()
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
endfunction()

# cspwatch_library(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...]) defines the static
# library cspwatch_<name> with the alias cspwatch::<name>.
function(cspwatch_library name)
  cmake_parse_arguments(ARG "NO_UNITY" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(cspwatch_${name} STATIC ${ARG_SOURCES})
  add_library(cspwatch::${name} ALIAS cspwatch_${name})
  # Batches of 8 files (CSPWATCH_UNITY_BUILD, CMakeLists.txt). NO_UNITY: a library whose files
  # still define helpers of the same name in their anonymous namespaces.
  if(CSPWATCH_UNITY_BUILD AND NOT ARG_NO_UNITY)
    set_target_properties(cspwatch_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
  cspwatch_target_defaults(cspwatch_${name})
  target_link_libraries(cspwatch_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# cspwatch_precompile_headers(<target> HEADERS <header>... | REUSE_FROM <other>): a precompiled
# header for a target whose files share heavy headers that never change (third-party and
# standard ones, never ours: an edit would rebuild the whole target), parsed once instead of once
# a file; REUSE_FROM shares <other>'s, for targets with the same compile options and definitions
# (their own extra definitions must be names the headers do not use: gcc's -Winvalid-pch, an
# error here, and clang refuse a header built otherwise). Each file still includes what it uses;
# -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON builds without, which checks that.
# ccache caches a compile that uses a precompiled header only with the sloppiness below (its
# manual, "Precompiled headers"), and a clang header only if built without its timestamp.
function(cspwatch_precompile_headers target)
  cmake_parse_arguments(ARG "" "REUSE_FROM" "HEADERS" ${ARGN})
  if(ARG_REUSE_FROM)
    target_precompile_headers(${target} REUSE_FROM ${ARG_REUSE_FROM})
  else()
    target_precompile_headers(${target} PRIVATE ${ARG_HEADERS})
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:Clang>:SHELL:-Xclang -fno-pch-timestamp>)
  endif()
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    set_target_properties(${target} PROPERTIES CXX_COMPILER_LAUNCHER
      "${CMAKE_COMMAND};-E;env;CCACHE_SLOPPINESS=pch_defines,time_macros;${CMAKE_CXX_COMPILER_LAUNCHER}")
  endif()
endfunction()
