// SPDX-License-Identifier: Apache-2.0
#include "cli/command_registry.h"

#include <map>

#include <CLI/CLI.hpp>

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
  const auto& names = choices == FormatChoices::kTableJson      ? kTableJson
                      : choices == FormatChoices::kTableJsonCsv ? kTableJsonCsv
                                                                : kTextJson;
  return command.add_option("--format", format, help)
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case));
}

}  // namespace cspwatch::cli
