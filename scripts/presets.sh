# Sourced by the other scripts: the one place that maps a build preset to its configure preset
# and build folder. The folders are CMakePresets.json's binaryDir values; keep the two in step
# (tests/packaging checks nothing here, so a rename there must be made here too).
#   preset_configure PRESET  the configure preset (fuzz builds part of the asan-ubsan tree)
#   preset_dir PRESET        the build folder, relative to the repository root
# Both print nothing and return 2 for a preset they do not know.
preset_configure() {
  case "$1" in
    release | debug | asan-ubsan) echo "$1" ;;
    fuzz) echo asan-ubsan ;;
    *) return 2 ;;
  esac
}
preset_dir() {
  case "$1" in
    release) echo build ;;
    debug) echo build-debug ;;
    asan-ubsan | fuzz) echo build-asan ;;
    *) return 2 ;;
  esac
}
