// SPDX-License-Identifier: Apache-2.0
#include "cli/command_registry.h"

#include <map>

#include <CLI/CLI.hpp>

#include "cli/usage_hints.h"

namespace cspwatch::cli {

void CommandRegistry::add(const CLI::App* command, Handler handler, DefaultLog log) {
  entries_.push_back({command, std::move(handler), log});
}

const CommandRegistry::Entry* CommandRegistry::chosen() const {
  for (const Entry& e : entries_)
    if (e.command->parsed()) return &e;
  return nullptr;
}

CLI::Option* addFormatOption(CLI::App& command, OutputFormat& format, FormatChoices choices,
                             const std::string& help) {
  static const std::map<std::string, OutputFormat> kTableJson = {{"table", OutputFormat::kTable},
                                                                 {"json", OutputFormat::kJson}};
  static const std::map<std::string, OutputFormat> kTableJsonCsv = {
      {"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}, {"csv", OutputFormat::kCsv}};
  static const std::map<std::string, OutputFormat> kTextJson = {{"text", OutputFormat::kText},
                                                                {"json", OutputFormat::kJson}};
  static const std::vector<std::string> kTableJsonNames = {"table", "json"};
  static const std::vector<std::string> kTableJsonCsvNames = {"table", "json", "csv"};
  static const std::vector<std::string> kTextJsonNames = {"text", "json"};
  const auto& map = choices == FormatChoices::kTableJson      ? kTableJson
                    : choices == FormatChoices::kTableJsonCsv ? kTableJsonCsv
                                                              : kTextJson;
  const auto& names = choices == FormatChoices::kTableJson      ? kTableJsonNames
                      : choices == FormatChoices::kTableJsonCsv ? kTableJsonCsvNames
                                                                : kTextJsonNames;
  std::string default_name;
  for (const auto& [name, value] : map)
    if (value == format) default_name = name;
  // The value is checked against the names (withChoices), then turned into the enum.
  CLI::Option* option = command.add_option_function<std::string>(
      "--format", [&format, &map](const std::string& name) { format = map.at(name); }, help);
  return withChoices(option, names)->default_str(default_name);
}

}  // namespace cspwatch::cli
