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
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(cspwatch_${name} STATIC ${ARG_SOURCES})
  add_library(cspwatch::${name} ALIAS cspwatch_${name})
  cspwatch_target_defaults(cspwatch_${name})
  target_link_libraries(cspwatch_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
