# Installation layout (FHS), the man page and the Debian package (CPack DEB).
#
#   cmake --build build && (cd build && cpack -G DEB)   ->  build/cspwatch_<version>_<arch>.deb
#
# Layout (docs/operations.md, "Files and paths"):
#   /usr/bin/cspwatch                      the daemon and CLI (cspwatch-sim is not installed)
#   /etc/cspwatch/cspwatch.yaml            conffile
#   /etc/cspwatch/rules.d/                 conffiles: the rule pack with its tests and fixtures,
#                                          so `cspwatch rules test` works as installed
#   /etc/cspwatch/templates/               conffiles: the mail templates
#   /etc/cspwatch/credentials/             0700 root: secrets, handed to the service by
#                                          LoadCredential= (systemd/cspwatch.service)
#   /usr/share/cspwatch/defaults/          the shipped config, rules and templates, untouched,
#                                          to diff against after an upgrade
#   /usr/share/cspwatch/prometheus/        cspwatch.rules.yml, the Prometheus alerting rules
#                                          (docs/operations.md#monitoring): Prometheus reads it
#                                          from there, so it is no conffile
#   /usr/lib/systemd/system/cspwatch.service, /usr/lib/sysusers.d/cspwatch.conf,
#   /usr/lib/tmpfiles.d/cspwatch.conf
#   /usr/share/man/man1/cspwatch.1.gz      generated from `cspwatch --help` by help2man
#   /usr/share/bash-completion/completions/cspwatch, /usr/share/zsh/vendor-completions/_cspwatch
#                                          written by `cspwatch completion bash|zsh` (cli/completion.h)
#   /usr/share/doc/cspwatch/               README, docs/, and copyright (Debian's machine-readable
#                                          format, cmake/debian/copyright: Apache-2.0, LICENSE)
# /var/lib/cspwatch (state: database, refresh token, mail) is made by systemd-tmpfiles and
# StateDirectory=, never shipped: its owner, the cspwatch user, does not exist before postinst.
#
# This file is also a script (cmake -P) that writes the man page: see the end of the file.

if(CMAKE_SCRIPT_MODE_FILE)
  # Script mode is handled at the end of this file.
else()

set(CSPWATCH_PACKAGE_MAINTAINER "cspwatch maintainers <maintainers@cspwatch.dev>"
    CACHE STRING "Maintainer field of the Debian package")
if(CSPWATCH_PACKAGE_MAINTAINER MATCHES "@example\\.com>")
  # A build tree configured before the project had an address caches the placeholder.
  set(CSPWATCH_PACKAGE_MAINTAINER "cspwatch maintainers <maintainers@cspwatch.dev>"
      CACHE STRING "Maintainer field of the Debian package" FORCE)
endif()

set(_cspwatch_etc /etc/cspwatch)  # absolute: the package's /etc, whatever the install prefix
set(_cspwatch_share ${CMAKE_INSTALL_DATADIR}/cspwatch)

# --- the man page: help2man over every command's --help ---------------------------------------
find_program(HELP2MAN_EXECUTABLE help2man)
if(NOT HELP2MAN_EXECUTABLE)
  message(FATAL_ERROR "help2man not found: it writes the cspwatch(1) man page. "
                      "Run scripts/install-deps.sh (Debian package help2man).")
endif()
set(_cspwatch_man_dir ${CMAKE_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${_cspwatch_man_dir}/cspwatch.1 ${_cspwatch_man_dir}/cspwatch.1.gz
  # The default config path in --help must not depend on the caller's environment; a
  # sanitizer build must not fail the page over a leak report.
  COMMAND ${CMAKE_COMMAND} -E env --unset=CSPWATCH_CONFIG ASAN_OPTIONS=detect_leaks=0
          ${CMAKE_COMMAND} -DCSPWATCH_EXE=$<TARGET_FILE:cspwatch> -DHELP2MAN=${HELP2MAN_EXECUTABLE}
          -DOUT_DIR=${_cspwatch_man_dir} -P ${CMAKE_CURRENT_LIST_FILE}
  DEPENDS cspwatch ${CMAKE_CURRENT_LIST_FILE}
  COMMENT "Writing the cspwatch(1) man page with help2man"
  VERBATIM)
add_custom_target(cspwatch_man ALL DEPENDS ${_cspwatch_man_dir}/cspwatch.1.gz)

# --- shell completion: written by the built binary, so it lists the commands it has ----------
set(_cspwatch_completion_dir ${CMAKE_BINARY_DIR}/completion)
add_custom_command(
  OUTPUT ${_cspwatch_completion_dir}/cspwatch ${_cspwatch_completion_dir}/_cspwatch
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_cspwatch_completion_dir}
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 sh -c
          "$<TARGET_FILE:cspwatch> completion bash > ${_cspwatch_completion_dir}/cspwatch"
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 sh -c
          "$<TARGET_FILE:cspwatch> completion zsh > ${_cspwatch_completion_dir}/_cspwatch"
  DEPENDS cspwatch
  COMMENT "Writing the bash and zsh completion of cspwatch"
  VERBATIM)
add_custom_target(cspwatch_completion ALL DEPENDS ${_cspwatch_completion_dir}/cspwatch
                                                  ${_cspwatch_completion_dir}/_cspwatch)

# --- install rules ---------------------------------------------------------------------------
# /usr/bin/cspwatch comes from cli/CMakeLists.txt (install(TARGETS cspwatch)).
install(FILES ${_cspwatch_man_dir}/cspwatch.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_cspwatch_completion_dir}/cspwatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${_cspwatch_completion_dir}/_cspwatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

install(FILES etc/cspwatch.yaml DESTINATION ${_cspwatch_etc})
install(DIRECTORY etc/rules.d etc/templates DESTINATION ${_cspwatch_etc})
install(DIRECTORY DESTINATION ${_cspwatch_etc}/credentials
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(FILES etc/cspwatch.yaml DESTINATION ${_cspwatch_share}/defaults)
install(DIRECTORY etc/rules.d etc/templates DESTINATION ${_cspwatch_share}/defaults)
install(FILES etc/prometheus/cspwatch.rules.yml DESTINATION ${_cspwatch_share}/prometheus)

install(FILES systemd/cspwatch.service DESTINATION lib/systemd/system)
install(FILES systemd/cspwatch.sysusers DESTINATION lib/sysusers.d RENAME cspwatch.conf)
install(FILES systemd/cspwatch.tmpfiles DESTINATION lib/tmpfiles.d RENAME cspwatch.conf)

file(GLOB _cspwatch_docs docs/*.md docs/*.json)
install(FILES README.md ${_cspwatch_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES cmake/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- conffiles: every file the package puts under /etc/cspwatch ------------------------------
# CMake 3.25's DEB generator does not mark /etc files as conffiles by itself.
set(_cspwatch_conffiles "${_cspwatch_etc}/cspwatch.yaml\n")
foreach(_dir rules.d templates)
  file(GLOB_RECURSE _files RELATIVE ${PROJECT_SOURCE_DIR}/etc
       CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/etc/${_dir}/*)
  list(SORT _files)
  foreach(_f ${_files})
    string(APPEND _cspwatch_conffiles "${_cspwatch_etc}/${_f}\n")
  endforeach()
endforeach()
set(_cspwatch_control ${CMAKE_BINARY_DIR}/cpack/debian)
file(WRITE ${_cspwatch_control}/conffiles "${_cspwatch_conffiles}")

# --- maintainer scripts ----------------------------------------------------------------------
# What dh_installsystemd --no-enable --no-start --restart-after-upgrade, dh_installsysusers and
# dh_installtmpfiles would write, by hand: the operator configures cspwatch before enabling it,
# so a first install neither enables nor starts the service; an upgrade restarts it if it runs.
file(WRITE ${_cspwatch_control}/postinst [=[#!/bin/sh
set -e

if [ "$1" = "configure" ]; then
    # The cspwatch system user, then /var/lib/cspwatch and /etc/cspwatch/credentials.
    systemd-sysusers cspwatch.conf
    systemd-tmpfiles --create cspwatch.conf || true
fi

if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
    # Removes only a mask that deb-systemd-helper itself set when the package was removed.
    deb-systemd-helper unmask 'cspwatch.service' >/dev/null || true
    # Not enabled here: records the unit so that purge cleans up after `systemctl enable`.
    deb-systemd-helper update-state 'cspwatch.service' >/dev/null || true
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        if [ -n "$2" ]; then
            # An upgrade: restart the daemon if it was running; never start it on a first install.
            deb-systemd-invoke try-restart 'cspwatch.service' >/dev/null || true
        fi
    fi
fi

exit 0
]=])
file(WRITE ${_cspwatch_control}/prerm [=[#!/bin/sh
set -e

if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    deb-systemd-invoke stop 'cspwatch.service' >/dev/null || true
fi

exit 0
]=])
file(WRITE ${_cspwatch_control}/postrm [=[#!/bin/sh
set -e

if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi

if [ "$1" = "remove" ]; then
    deb-systemd-helper mask 'cspwatch.service' >/dev/null || true
fi

if [ "$1" = "purge" ]; then
    deb-systemd-helper purge 'cspwatch.service' >/dev/null || true
    deb-systemd-helper unmask 'cspwatch.service' >/dev/null || true
    # Purge, and only purge, deletes what cspwatch made and kept: the database, the refresh
    # token, the mail written by the file transport, and the secrets handed to the service.
    # The cspwatch system user stays (Debian does not reuse the ids of removed system users).
    rm -rf /var/lib/cspwatch /etc/cspwatch/credentials
    rmdir /etc/cspwatch 2>/dev/null || true
fi

exit 0
]=])

# --- CPack -----------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cspwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "cspwatch")
set(CPACK_PACKAGE_CONTACT "${CSPWATCH_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compliance daemon for Microsoft CSP partners")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the build keeps its debug info; the package does not
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # cspwatch_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CSPWATCH_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The synopsis line is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "On a schedule, cspwatch reads every customer tenant of a Microsoft CSP partner from
Partner Center, Microsoft Graph and the distributor's inventory export, evaluates rules
written as YAML, records findings in SQLite and emails the admins what is new, still
open, resolved, or could not be checked. It runs as the hardened systemd service
cspwatch.service, which is not enabled on installation: configure
/etc/cspwatch/cspwatch.yaml first (see /usr/share/doc/cspwatch/operations.md).")
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev); these are the others:
# the CA certificates for HTTPS and SMTP, /bin/kill (ExecReload=; procps is not in a minimal
# Debian), systemd for the unit, systemd-sysusers and systemd-tmpfiles.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# tzdata: named zones in the rules' time accessors (rules/time_zones.h).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates, procps, systemd (>= 252), tzdata")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_cspwatch_control}/conffiles;${_cspwatch_control}/postinst;${_cspwatch_control}/prerm;${_cspwatch_control}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, conffiles 0644
include(CPack)

endif()

# --- script mode: cmake -DCSPWATCH_EXE=... -DHELP2MAN=... -DOUT_DIR=... -P CspwatchPackaging.cmake
# Writes OUT_DIR/cspwatch.1 (help2man over `cspwatch --help`, with a COMMANDS section holding
# the --help of every subcommand, found by walking "Subcommands:") and OUT_DIR/cspwatch.1.gz.
if(CMAKE_SCRIPT_MODE_FILE)
  foreach(_var CSPWATCH_EXE HELP2MAN OUT_DIR)
    if(NOT DEFINED ${_var})
      message(FATAL_ERROR "${_var} is not set")
    endif()
  endforeach()

  # Roff-escapes one --help text for a no-fill block.
  function(_cspwatch_roff text out)
    string(REPLACE "\\" "\\e" text "${text}")
    string(REPLACE "-" "\\-" text "${text}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    set(${out} "${text}" PARENT_SCOPE)
  endfunction()

  set(_commands "")
  set(_queue "")
  # The top-level subcommands, then theirs, breadth first.
  execute_process(COMMAND ${CSPWATCH_EXE} --help OUTPUT_VARIABLE _help RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${CSPWATCH_EXE} --help failed (${_rc})")
  endif()
  macro(_cspwatch_subcommands help prefix)
    string(FIND "${help}" "\nSubcommands:\n" _at)
    if(_at GREATER -1)
      string(SUBSTRING "${help}" ${_at} -1 _tail)
      string(REGEX MATCHALL "\n  [a-z][a-z0-9-]*" _names "${_tail}")
      foreach(_n ${_names})
        string(STRIP "${_n}" _n)
        list(APPEND _queue "${prefix}${_n}")
      endforeach()
    endif()
  endmacro()
  _cspwatch_subcommands("${_help}" "")
  set(_include "[COMMANDS]\nEvery command takes the global options above; \\fB\\-\\-help\\fR after a command prints its own help.\n")
  while(_queue)
    list(POP_FRONT _queue _cmd)
    string(REPLACE " " ";" _args "${_cmd}")
    execute_process(COMMAND ${CSPWATCH_EXE} ${_args} --help OUTPUT_VARIABLE _sub RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "${CSPWATCH_EXE} ${_cmd} --help failed (${_rc})")
    endif()
    _cspwatch_subcommands("${_sub}" "${_cmd} ")
    string(STRIP "${_sub}" _sub)
    _cspwatch_roff("${_sub}" _sub)
    string(APPEND _include ".SS \"cspwatch ${_cmd}\"\n.nf\n${_sub}\n.fi\n")
  endwhile()
  string(APPEND _include [=[
[ENVIRONMENT]
.TP
.B CSPWATCH_CONFIG
The configuration file when \fB\-\-config\fR is not given.
.TP
.B CSPWATCH_CLIENT_SECRET
The app registration's client secret when no \fBclient_secret_file\fR is configured.
.TP
.B CREDENTIALS_DIRECTORY
Set by systemd for the service: where the secrets of \fI/etc/cspwatch/credentials\fR are
handed to it (see \fIoperations.md\fR).
[FILES]
.TP
.I /etc/cspwatch/cspwatch.yaml
The configuration.
.TP
.I /etc/cspwatch/rules.d/
The rules (\fB*.yaml\fR), their tests (\fB*.test.yaml\fR) and fixtures.
.TP
.I /etc/cspwatch/templates/
The mail templates.
.TP
.I /etc/cspwatch/credentials/
Secrets, readable by root only; the service receives them through systemd credentials.
.TP
.I /var/lib/cspwatch/
The database, the refresh token and the mail of the file transport.
.TP
.I /usr/share/doc/cspwatch/
The operator documentation: configuration.md, rules.md, alerts.md, operations.md and more.
[SEE ALSO]
.BR systemctl (1),
.BR journalctl (1),
.BR systemd.exec (5)
]=])
  file(MAKE_DIRECTORY ${OUT_DIR})
  file(WRITE ${OUT_DIR}/cspwatch.h2m "${_include}")
  execute_process(
    COMMAND ${HELP2MAN} --no-info --section=1
            "--name=compliance daemon for Microsoft CSP partners"
            --include=${OUT_DIR}/cspwatch.h2m --output=${OUT_DIR}/cspwatch.1 ${CSPWATCH_EXE}
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "help2man failed (${_rc})")
  endif()
  file(REMOVE ${OUT_DIR}/cspwatch.1.gz)
  file(ARCHIVE_CREATE OUTPUT ${OUT_DIR}/cspwatch.1.gz PATHS ${OUT_DIR}/cspwatch.1 FORMAT raw
       COMPRESSION GZip COMPRESSION_LEVEL 9)
endif()
