// SPDX-License-Identifier: Apache-2.0
// Better words for a command line CLI11 refused: which word it did not know, and the nearest
// one it does ("unknown command 'findigns'; did you mean 'findings'?"), at every level of
// subcommands and for options; and the choices of an option that takes one of a few names.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace cspwatch::cli {

// Walks `args` (argv without the program name) down `app`'s subcommands the way CLI11 does and
// returns a message for the first word it cannot place: an unknown subcommand or option (with
// did-you-mean, or the list of what is allowed there), or a command that needs a subcommand
// and got none. "" when every word has its place (then CLI11's own message is the one to show).
// Options of a command's parents are accepted below it (the app falls through).
std::string explainUsageError(CLI::App& app, const std::vector<std::string>& args);

// Makes `option` take one of `names` (matched ignoring case; the value becomes the name as
// written here): --help shows "--format table|json", and any other value, numbers included,
// is refused with "--format must be one of table, json; found '1'" and a did-you-mean.
CLI::Option* withChoices(CLI::Option* option, const std::vector<std::string>& names);

// The choices withChoices() gave `option`; empty for any other option.
std::vector<std::string> choicesOf(CLI::Option& option);

// CLI11's message for a value a validator refused is "NAME: MESSAGE"; this is "NAME MESSAGE"
// for withChoices()'s refusals. CLI11's other refusals in plain words: "ID must be a number,
// found 'abc'", "missing B", "--rule needs a value", "unexpected 'extra' (...)"; any other
// message unchanged.
std::string tidyValidationMessage(const std::string& what);

}  // namespace cspwatch::cli
