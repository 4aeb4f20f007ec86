// SPDX-License-Identifier: Apache-2.0
#include "cli/usage_hints.h"

#include <cctype>

#include <CLI/CLI.hpp>

#include "common/text.h"

namespace cspwatch::cli {

namespace {

constexpr const char* kChoicesPrefix = "must be one of ";

// The option named `name` ("--format", "-c") in `at` or one of its parents; null if none.
CLI::Option* findOption(CLI::App* at, const std::string& name) {
  for (CLI::App* app = at; app != nullptr; app = app->get_parent())
    for (CLI::Option* opt : app->get_options())
      if (opt->nonpositional() && opt->check_name(name)) return opt;
  return nullptr;
}

// Every option name usable at `at`: its own and its parents', "--long" and "-s".
std::vector<std::string> optionNames(CLI::App* at) {
  std::vector<std::string> names;
  for (CLI::App* app = at; app != nullptr; app = app->get_parent())
    for (CLI::Option* opt : app->get_options()) {
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
    }
  return names;
}

// The visible subcommands of `at`, by name (hidden ones have an empty group).
std::vector<std::string> commandNames(CLI::App* at) {
  std::vector<std::string> names;
  for (CLI::App* sub : at->get_subcommands({}))
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  return names;
}

std::string commandPath(const CLI::App* at) {
  std::string path;
  for (const CLI::App* app = at; app != nullptr; app = app->get_parent())
    path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& candidates, const CLI::App* at) {
  std::string message = "unknown " + what + " '" + word + "'";
  std::string hint = didYouMean(word, candidates);
  if (!hint.empty()) return message + "; " + hint;
  if (what == "command")
    return message + "; the commands of '" + commandPath(at) + "' are " + join(candidates, ", ");
  return message + " for '" + commandPath(at) + "'";
}

bool hasPositionals(CLI::App* at) {
  return !at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

}  // namespace

std::string explainUsageError(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* at = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;  // the rest are positional values
    if (word.size() > 1 && word[0] == '-') {
      const bool is_long = word.rfind("--", 0) == 0;
      const size_t eq = word.find('=');
      std::string name = is_long ? word.substr(0, eq) : word.substr(0, 2);
      CLI::Option* opt = findOption(at, name);
      if (opt == nullptr) return unknown("option", name, optionNames(at), at);
      const bool value_attached = is_long ? eq != std::string::npos : word.size() > 2;
      if (opt->get_items_expected_max() > 0 && !value_attached) ++i;  // skip its value
      continue;
    }
    std::vector<std::string> commands = commandNames(at);
    if (commands.empty() || hasPositionals(at)) continue;  // a positional value
    CLI::App* next = nullptr;
    for (CLI::App* sub : at->get_subcommands({}))
      if (sub->check_name(word)) next = sub;
    if (next == nullptr) return unknown("command", word, commands, at);
    at = next;
  }
  if (at->get_require_subcommand_min() > 0)
    return "'" + commandPath(at) + "' needs a command: " + join(commandNames(at), ", ");
  return "";
}

CLI::Option* withChoices(CLI::Option* option, const std::vector<std::string>& names) {
  const std::string name = option->get_name();
  CLI::Validator choices(
      [names, name](std::string& value) -> std::string {
        const std::string lower = toLowerAscii(value);
        for (const auto& n : names)
          if (toLowerAscii(n) == lower) {
            value = n;
            return "";
          }
        std::string hint = didYouMean(lower, names);
        return kChoicesPrefix + join(names, ", ") + "; found '" + abbreviate(value, 40) + "'" +
               (hint.empty() ? "" : "; " + hint);
      },
      "", "choices");
  return option->transform(choices)->type_name(join(names, "|"));
}

std::vector<std::string> choicesOf(CLI::Option& option) {
  try {
    option.get_validator("choices");
  } catch (const CLI::OptionNotFound&) {  // CLI11 2.1 has no other way to ask
    return {};
  }
  return split(option.get_type_name(), '|');
}

std::string tidyValidationMessage(const std::string& what) {
  const size_t at = what.find(std::string(": ") + kChoicesPrefix);
  if (at != std::string::npos) return what.substr(0, at) + " " + what.substr(at + 2);
  // CLI11's own words for the other refusals, said as an operator would ("b is required" for
  // `scans diff 1`). Matched on its message texts (CLI/Error.hpp of CLI11 2.1): its exception
  // types do not carry the option's name and value apart.
  auto upper = [](std::string name) {  // a positional's name as --help shows it: ID, B
    if (!name.empty() && name[0] != '-')
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
  };
  if (startsWith(what, "Could not convert: ")) {
    const std::string rest = what.substr(std::string("Could not convert: ").size());
    const size_t eq = rest.find(" = ");
    if (eq != std::string::npos)
      return upper(rest.substr(0, eq)) + " must be a number, found '" +
             abbreviate(rest.substr(eq + 3), 40) + "'";
  }
  if (endsWith(what, " is required") && what.find(' ') == what.size() - 12)
    return "missing " + upper(what.substr(0, what.size() - 12));
  if (const size_t m = what.find(" required ");
      m != std::string::npos && endsWith(what, " missing")) {
    const size_t colon = what.find(": ");
    if (colon != std::string::npos && colon < m) return what.substr(0, colon) + " needs a value";
  }
  for (const char* extras :
       {"The following argument was not expected: ", "The following arguments were not expected: "})
    if (startsWith(what, extras))
      return "unexpected '" + what.substr(std::string(extras).size()) +
             "' (this command takes no more arguments)";
  return what;
}

}  // namespace cspwatch::cli
