// SPDX-License-Identifier: Apache-2.0
// Shell completion for `cspwatch`, generated from the CLI11 app itself (the hidden command
// `cspwatch completion bash|zsh`), so it never drifts from the commands: the build writes both
// scripts with the built binary and the .deb installs them (cmake/CspwatchPackaging.cmake).
// They complete subcommands at every level, each level's options (its parents' included: the
// app falls through), the values of options with a few choices (--format table|json), and
// file names for other values and for positional arguments.
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace cspwatch::cli {

// The bash script (for /usr/share/bash-completion/completions/cspwatch).
std::string bashCompletion(CLI::App& app);
// The zsh script (for /usr/share/zsh/vendor-completions/_cspwatch; "#compdef cspwatch").
std::string zshCompletion(CLI::App& app);

}  // namespace cspwatch::cli
