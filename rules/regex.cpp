// SPDX-License-Identifier: Apache-2.0
#include "rules/regex.h"

#include <re2/re2.h>

namespace cspwatch::rules {

Result<std::shared_ptr<const Regex>> Regex::compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // RE2 would write to stderr; the reason goes to the caller
  options.set_max_mem(kMaxProgramBytes);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) return Status::invalidArgument(re->error());
  return std::shared_ptr<const Regex>(new Regex(std::move(re)));
}

Regex::Regex(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
Regex::~Regex() = default;

bool Regex::search(std::string_view subject) const {
  return RE2::PartialMatch(re2::StringPiece(subject.data(), subject.size()), *re_);
}

}  // namespace cspwatch::rules
