// SPDX-License-Identifier: Apache-2.0
#include "common/logging.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>

namespace cspwatch {

namespace {

// LogScope's prefix of this thread.
thread_local std::string t_log_prefix;

// Redacts, then hands the message to the real sinks.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void add(std::shared_ptr<spdlog::sinks::sink> s) {
    std::lock_guard<std::mutex> lock(mutex_);
    sinks_.push_back(std::move(s));
  }
  void clearExtra() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sinks_.size() > 1) sinks_.resize(1);
  }
  // The journal reads a "<N>" priority only at the very start of a line, and JSON lines carry
  // their own level: in both cases stderr gets the message alone.
  void setFormat(bool journal, bool json) {
    std::lock_guard<std::mutex> lock(mutex_);
    journal_ = journal;
    json_ = json;
    if (!sinks_.empty())
      sinks_.front()->set_pattern(journal || json ? "%v" : "%Y-%m-%dT%H:%M:%S.%e%z %l: %v");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // Called on the logging thread (the logger is synchronous): its LogScope prefix applies.
    std::string text = t_log_prefix + redactSecrets({msg.payload.data(), msg.payload.size()});
    if (json_) text = jsonLine(msg, text);
    if (journal_) {
      // Every line of a message gets the priority: the journal makes each line an entry.
      const std::string prefix = "<" + std::to_string(priority(msg.level)) + ">";
      std::string prefixed = prefix;
      for (char c : text) {
        prefixed += c;
        if (c == '\n') prefixed += prefix;
      }
      text = std::move(prefixed);
    }
    // Extra streams (tests) always see "level: message".
    spdlog::details::log_msg copy(msg.logger_name, msg.level, text);
    for (auto& s : sinks_)
      if (s->should_log(msg.level)) s->log(copy);
  }
  void flush_() override {
    for (auto& s : sinks_) s->flush();
  }

 private:
  static int priority(spdlog::level::level_enum l) {
    switch (l) {
      case spdlog::level::critical:
        return 2;
      case spdlog::level::err:
        return 3;
      case spdlog::level::warn:
        return 4;
      case spdlog::level::info:
        return 6;
      default:
        return 7;
    }
  }
  // Written by hand: a three-field object does not need a JSON library in `common`.
  static std::string jsonLine(const spdlog::details::log_msg& msg, const std::string& text) {
    std::string out = "{\"time\":\"";
    const auto since = msg.time.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs);
    const std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    out += buf;
    std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(millis.count()));
    out += buf;
    const auto level = spdlog::level::to_string_view(msg.level);
    out += "\",\"level\":\"" + std::string(level.data(), level.size()) + "\",\"message\":\"";
    for (unsigned char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          if (c < 0x20) {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"}";
  }
  std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks_;
  bool journal_ = false;
  bool json_ = false;
};

std::shared_ptr<RedactingSink>& sink() {
  static std::shared_ptr<RedactingSink> s = [] {
    auto r = std::make_shared<RedactingSink>();
    auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    r->add(err);
    r->setFormat(stderrIsJournal(), false);
    return r;
  }();
  return s;
}

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = std::make_shared<spdlog::logger>("cspwatch", sink());
    lg->set_level(spdlog::level::warn);  // until setupLogging() says otherwise
    lg->set_pattern("%v");               // the real sinks format
    return lg;
  }();
  return l;
}

}  // namespace

bool isJournalStream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  char extra = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &extra) != 2) return false;
  struct stat st {};
  return ::fstat(fd, &st) == 0 && static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

bool stderrIsJournal() { return isJournalStream(std::getenv("JOURNAL_STREAM"), 2); }

void setupLogging(const LogOptions& options) {
  sink()->setFormat(options.journal || stderrIsJournal(), options.json);
  logger()->set_level(options.level);
}

void addLogStream(std::ostream& out) {
  auto s = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  s->set_pattern("%l: %v");
  sink()->add(s);
}

void removeLogStreams() { sink()->clearExtra(); }

spdlog::logger& log() { return *logger(); }

LogScope::LogScope(std::string prefix) : previous_(std::move(t_log_prefix)) {
  t_log_prefix = std::move(prefix);
}

LogScope::~LogScope() { t_log_prefix = std::move(previous_); }

const std::string& LogScope::current() { return t_log_prefix; }

}  // namespace cspwatch
