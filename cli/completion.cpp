// SPDX-License-Identifier: Apache-2.0
// Both scripts share one shape: shell functions that answer from tables written here (the
// subcommands of each command path, its options, the options that take a value, the choices of
// an option), and a completion function that walks the words typed so far to find the path.
#include "cli/completion.h"

#include <memory>
#include <set>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/usage_hints.h"
#include "common/text.h"
#include "config/app_config.h"

namespace cspwatch::cli {

namespace {

struct Level {
  std::string path;  // "" for cspwatch itself, "findings list"
  std::vector<std::string> commands, options;
  std::vector<std::pair<std::string, std::vector<std::string>>> choices;  // option -> values
};

void collectLevels(CLI::App* at, const std::string& path, std::vector<Level>& levels,
                   std::set<std::string>& valued) {
  Level level;
  level.path = path;
  for (CLI::App* sub : at->get_subcommands({}))
    if (!sub->get_group().empty()) level.commands.push_back(sub->get_name());
  for (CLI::App* app = at; app != nullptr; app = app->get_parent())
    for (CLI::Option* opt : app->get_options()) {
      if (!opt->nonpositional()) continue;
      std::vector<std::string> names;
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
      const std::vector<std::string> values = choicesOf(*opt);
      for (const auto& n : names) {
        level.options.push_back(n);
        if (opt->get_items_expected_max() > 0) valued.insert(n);
        if (!values.empty()) level.choices.emplace_back(n, values);
      }
    }
  levels.push_back(level);
  for (CLI::App* sub : at->get_subcommands({}))
    if (!sub->get_group().empty())
      collectLevels(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), levels,
                    valued);
}

// The shell functions both scripts share (bash and zsh read them alike).
std::string tables(CLI::App& app) {
  std::vector<Level> levels;
  std::set<std::string> valued;
  collectLevels(&app, "", levels, valued);
  std::ostringstream s;
  s << "_cspwatch_commands() {\n  case \"$1\" in\n";
  for (const Level& l : levels)
    if (!l.commands.empty())
      s << "    '" << l.path << "') echo '" << join(l.commands, " ") << "' ;;\n";
  s << "  esac\n}\n_cspwatch_options() {\n  case \"$1\" in\n";
  for (const Level& l : levels)
    s << "    '" << l.path << "') echo '" << join(l.options, " ") << "' ;;\n";
  s << "  esac\n}\n_cspwatch_takes_value() {\n  case \"$1\" in\n    "
    << join(std::vector<std::string>(valued.begin(), valued.end()), "|")
    << ") return 0 ;;\n  esac\n  return 1\n}\n_cspwatch_choices() {\n  case \"$1|$2\" in\n";
  for (const Level& l : levels)
    for (const auto& [option, values] : l.choices)
      s << "    '" << l.path << "|" << option << "') echo '" << join(values, " ") << "' ;;\n";
  s << "  esac\n}\n";
  return s.str();
}

// Sets `cmdpath` from the words before the one being completed (words[first..current-1]); sets
// `pending` to the option whose value is being completed, if any, and `config` to the
// configuration file given (-c FILE, --config FILE or --config=FILE).
constexpr const char* kWalk = R"sh(
  cmdpath="" pending="" config=""
  for ((i = first; i < current; i++)); do
    w=${words[i]}
    if [[ -n $pending ]]; then
      [[ $pending == -c || $pending == --config ]] && config=$w
      pending=""; continue
    fi
    case $w in
      --config=*) config=${w#--config=} ;;
      --*=*) ;;
      -*) if _cspwatch_takes_value "$w"; then pending=$w; fi ;;
      *)
        for c in $(_cspwatch_commands "$cmdpath"); do
          if [[ $c == "$w" ]]; then cmdpath=${cmdpath:+$cmdpath }$w; break; fi
        done ;;
    esac
  done
)sh";

// The partner accounts' names, for --partner's value: the program as typed (words[first-1])
// asked with the configuration given, if any (`completion partners`; nothing when it does not
// load).
constexpr const char* kPartnerNames = R"sh(
_cspwatch_partners() {
  if [[ -n $2 ]]; then
    "$1" --config "$2" completion partners 2>/dev/null
  else
    "$1" completion partners 2>/dev/null
  fi
}
)sh";

}  // namespace

std::string bashCompletion(CLI::App& app) {
  std::ostringstream s;
  s << "# bash completion for cspwatch; written by 'cspwatch completion bash' (do not edit)\n"
    << tables(app) << kPartnerNames << "_cspwatch() {\n"
    << "  local cur=${COMP_WORDS[COMP_CWORD]} cmdpath pending config i w c first=1 "
       "current=$COMP_CWORD\n"
    << "  local -a words=(\"${COMP_WORDS[@]}\")" << kWalk
    << R"sh(  if [[ $pending == --partner ]]; then
    COMPREPLY=($(compgen -W "$(_cspwatch_partners "${words[0]}" "$config")" -- "$cur"))
  elif [[ -n $pending ]]; then
    local values
    values=$(_cspwatch_choices "$cmdpath" "$pending")
    if [[ -n $values ]]; then
      COMPREPLY=($(compgen -W "$values" -- "$cur"))
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_cspwatch_options "$cmdpath")" -- "$cur"))
  elif [[ -n $(_cspwatch_commands "$cmdpath") ]]; then
    COMPREPLY=($(compgen -W "$(_cspwatch_commands "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _cspwatch cspwatch
)sh";
  return s.str();
}

std::string zshCompletion(CLI::App& app) {
  // zsh's `path` is $PATH as an array, hence `cmdpath`; words[1] is the command itself.
  std::ostringstream s;
  s << "#compdef cspwatch\n"
    << "# zsh completion for cspwatch; written by 'cspwatch completion zsh' (do not edit)\n"
    << tables(app) << kPartnerNames << "_cspwatch() {\n"
    << "  local cur=${words[CURRENT]} cmdpath pending config i w c first=2 current=$CURRENT"
    << kWalk << R"sh(  if [[ $pending == --partner ]]; then
    compadd -- ${=$(_cspwatch_partners "${words[1]}" "$config")}
  elif [[ -n $pending ]]; then
    local values=$(_cspwatch_choices "$cmdpath" "$pending")
    if [[ -n $values ]]; then compadd -- ${=values}; else _files; fi
  elif [[ $cur == -* ]]; then
    compadd -- ${=$(_cspwatch_options "$cmdpath")}
  elif [[ -n $(_cspwatch_commands "$cmdpath") ]]; then
    compadd -- ${=$(_cspwatch_commands "$cmdpath")}
  else
    _files
  fi
}
_cspwatch "$@"
)sh";
  return s.str();
}

namespace {

// The names --partner takes in the configuration, one a line; nothing when it does not load.
int printPartnerNames(const CommandContext& ctx) {
  Diagnostics ignored;
  if (auto cfg = config::loadConfig(ctx.config_path, ignored))
    for (const config::AppConfig& account : config::partnerConfigs(*cfg))
      ctx.out << account.partner_name << "\n";
  return kExitOk;
}

}  // namespace

void registerCompletion(CLI::App& app, CommandRegistry& registry) {
  CLI::App* completion =
      app.add_subcommand("completion", "Print the bash or zsh completion script");
  completion->group("");  // hidden: the .deb installs the scripts; docs/cli.md tells the rest
  auto shell = std::make_shared<std::string>();
  // `partners`: the scripts' own question, the names --partner takes (one a line).
  withChoices(completion->add_option("shell", *shell, "bash or zsh")->required(),
              {"bash", "zsh", "partners"});
  CLI::App* root = &app;  // runCli's app, which outlives every handler
  registry.add(completion, [shell, root](const CommandContext& ctx) {
    if (*shell == "partners") return printPartnerNames(ctx);
    ctx.out << (*shell == "zsh" ? zshCompletion(*root) : bashCompletion(*root));
    return kExitOk;
  });
}

}  // namespace cspwatch::cli
