// SPDX-License-Identifier: Apache-2.0
#include "common/file_safety.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"

namespace cspwatch {
namespace {

// "cspwatch", or "uid 998" for a user the system does not name. getpwuid_r, not getpwuid: the
// daemon checks files from more than one thread.
std::string userName(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr)
    return found->pw_name;
  return "uid " + std::to_string(uid);
}

std::string groupName(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr)
    return found->gr_name;
  return "gid " + std::to_string(gid);
}

std::string octalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// "(owner cspwatch, group cspwatch, mode 0750)"
std::string describeOwnership(const struct stat& st) {
  return "(owner " + userName(st.st_uid) + ", group " + groupName(st.st_gid) + ", mode " +
         octalMode(st.st_mode) + ")";
}

// "its group staff", "all users", "its group staff and all users": who the bits in `mask`
// (group and other bits of one kind, e.g. 022 for writing) let in besides the owner.
std::string others(const struct stat& st, mode_t mask) {
  const bool group = (st.st_mode & mask & 070) != 0;
  const bool world = (st.st_mode & mask & 07) != 0;
  std::string out;
  if (group) out = "its group " + groupName(st.st_gid);
  if (group && world) out += " and ";
  if (world) out += "all users";
  return out;
}

// The shell's quoting of `path` when it needs any, for a command to copy.
std::string shellWord(const std::string& path) {
  if (path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "/._-+,:@") == std::string::npos)
    return path;
  std::string out = "'";
  for (char c : path) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command as typed (setCommandLineForHints), or "cspwatch ..." before it is known.
std::string& commandLineForHints() {
  static std::string line = "cspwatch ...";
  return line;
}

// " (runuser -u cspwatch -- cspwatch -c x.yaml findings list)": how to run the command as
// `uid`, when the system names it (runuser takes only names).
std::string runAs(uid_t uid) {
  const std::string name = userName(uid);
  if (name.rfind("uid ", 0) == 0) return "";
  return " (runuser -u " + shellWord(name) + " -- " + commandLineForHints() + ")";
}

// The user chown(1) should name: its name, or the number when the system has none.
std::string chownName(uid_t uid) {
  const std::string name = userName(uid);
  return name.rfind("uid ", 0) == 0 ? std::to_string(uid) : shellWord(name);
}

// The rule of the header for what `st` describes; `directory` says which wording and whether
// the sticky bit counts.
Status check(const std::string& path, const std::string& what, const struct stat& st,
             bool directory, FileCheckOptions options) {
  const bool sticky = directory && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & 022) != 0 && !sticky)
    return Status::ioError(
        "refusing " + what + " " + path + ": " + others(st, 022) + " can write " +
        (directory ? "in it " : "it ") + describeOwnership(st) + ", and so could " +
        (directory ? "plant a symbolic link there for cspwatch to follow or replace its files"
                   : "change it") +
        "; fix: chmod go-w " + shellWord(path));
  const uid_t me = ::geteuid();
  if (options.check_owner && st.st_uid != me && st.st_uid != 0) {
    const std::string owner = userName(st.st_uid);
    const std::string runner = userName(me);
    // Root running a command on the service account's files is the usual case: the fix is the
    // documented way, as that user (docs/operations.md).
    return Status::ioError(
        "refusing " + what + " " + path + ": it belongs to " + owner + " " + describeOwnership(st) +
        ", not to " + runner + ", who runs this command" + (me == 0 ? "" : ", or to root") +
        ", and " + owner +
        (directory ? " could plant a symbolic link there for " + runner + " to follow"
                   : " could change it") +
        "; fix: run the command as " + owner + runAs(st.st_uid) +
        // Root taking over another user's directory would lock that user (the service) out.
        (directory && me == 0 ? std::string()
                              : ", or make " + runner + " its owner (chown " + chownName(me) + " " +
                                    shellWord(path) + ")"));
  }
  return Status::ok();
}

}  // namespace

Status checkSecretFile(const std::string& path, const std::string& what, FileCheckOptions options) {
  struct stat st {};
  // stat, not lstat: what is read is what a link leads to (a certificate kept as a link into
  // /etc/letsencrypt, say), so that is what must be safe. A planted link is the directory's
  // problem, checked where cspwatch writes (checkPrivateDirectory).
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return Status::ok();
  return check(path, what, st, false, options);
}

Status checkPrivateDirectory(const std::string& path, const std::string& what,
                             FileCheckOptions options) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::ok();
  return check(path, what, st, true, options);
}

std::string secretText(std::string file_text) {
  while (!file_text.empty() && (file_text.back() == '\n' || file_text.back() == '\r'))
    file_text.pop_back();
  return file_text;
}

Result<std::string> readSecretFile(const std::string& path, const std::string& what) {
  if (Status s = checkSecretFile(path, what); !s) return s;
  auto text = readWholeFile(path);
  if (!text) return text.status();
  return secretText(std::move(*text));
}

std::string secretReadableByOthers(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || (st.st_mode & 044) == 0) return "";
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds != nullptr && *creds) {
    const std::string dir = std::string(creds) + "/";
    if (path.compare(0, dir.size(), dir) == 0) return "";
  }
  return others(st, 044) + " " + describeOwnership(st);
}

void setCommandLineForHints(const std::vector<std::string>& args) {
  std::string line = "cspwatch";
  for (const auto& a : args) line += " " + (a.empty() ? std::string("''") : shellWord(a));
  commandLineForHints() = line;
}

}  // namespace cspwatch
