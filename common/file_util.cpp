// SPDX-License-Identifier: Apache-2.0
#include "common/file_util.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cspwatch {

Result<std::string> readWholeFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::ioError("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    return Status::ioError("cannot read " + path + ": " + std::strerror(err));
  }
  auto too_big = [&](uint64_t size) {
    ::close(fd);
    return Status::ioError("cannot read " + path + ": it is " + describeSize(size) +
                           ", more than the " + describeSize(max_bytes) + " allowed");
  };
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes)
    return too_big(static_cast<uint64_t>(st.st_size));
  std::string out;
  if (S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::ioError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) return too_big(out.size());  // a device or a growing file
  }
  ::close(fd);
  return out;
}

std::string describeSize(uint64_t bytes) {
  char buf[64];
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (bytes < (uint64_t{1} << 20))
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  else if (bytes < (uint64_t{1} << 30))
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  std::string s = buf;
  // "1.0 MiB" reads better as "1 MiB".
  const size_t dot = s.find(".0 ");
  if (dot != std::string::npos) s.erase(dot, 2);
  return s;
}

namespace {

// 12 hexadecimal digits for a temporary file's name. Only uniqueness matters, not secrecy:
// O_EXCL makes a name someone else took (or planted) an error, and the caller tries another.
std::string randomSuffix() {
  unsigned char bytes[6];
  if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes)) {
    // No entropy yet (early boot) or no getrandom: the process, a counter and the time differ
    // between any two writers.
    static std::atomic<uint64_t> counter{0};
    const uint64_t v =
        (static_cast<uint64_t>(::getpid()) << 40) ^ (counter.fetch_add(1) << 24) ^
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::memcpy(bytes, &v, sizeof bytes);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and says whether the close succeeded (errno set otherwise): on some file systems
  // (NFS) a write error is reported only here.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

}  // namespace

Status writeFileAtomically(const std::string& path, const std::string& content, int mode) {
  const std::string dir = parentDirectory(path);
  const std::string name = path.substr(path.rfind('/') + 1);  // npos + 1 is 0: all of it
  if (name.empty() || name == "." || name == "..")
    return Status::ioError("cannot write " + path + ": not a file name");
  // The directory is opened once and every step below is relative to that descriptor (openat,
  // fchmod, renameat, unlinkat, fsync): if the directory is renamed or another one put in its
  // place meanwhile, the temporary file, the rename and the clean-up still all happen in the
  // directory we opened, never half in one and half in another. No O_NOFOLLOW here: a state
  // directory may be a symbolic link to a larger disk, and its own path is for its owner to
  // choose; whoever can write inside it is what matters, and common/file_safety.h refuses
  // directories others can write.
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0)
    return Status::ioError("cannot write " + path + ": cannot open its directory " + dir + ": " +
                           std::strerror(errno));
  // The temporary file is created, never opened: O_CREAT|O_EXCL fails on any existing name,
  // a symbolic link too, even a dangling one, so nothing planted under a temporary name is ever
  // followed or truncated (O_NOFOLLOW says the same again). Its name is random, so that two
  // writers never share one and no name can be planted in advance. Not mkstemp(3): it takes a
  // path, not the directory descriptor above. The name starts with '.' and does not end like
  // the target (".eml"), so that nothing listing the directory takes it for a finished file;
  // the target's name is cut so that the temporary's stays within NAME_MAX.
  std::string tmp;
  int created = -1;
  for (int attempt = 0; created < 0; ++attempt) {
    tmp = "." + name.substr(0, 200) + ".tmp." + randomSuffix();
    created = ::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600);
    if (created < 0 && (errno != EEXIST || attempt == 99))
      return Status::ioError("cannot write " + path + ": cannot create a temporary file in " + dir +
                             ": " + std::strerror(errno));
  }
  Fd fd(created);
  const std::string tmp_path = (dir == "/" ? "" : dir) + "/" + tmp;
  auto failed = [&](const std::string& what) {
    const int err = errno;
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    return Status::ioError("cannot " + what + ": " + std::strerror(err));
  };
  // The mode is set on the descriptor, never by path (a path can lead elsewhere by the time it
  // is used), so that the umask cannot loosen a secret's mode either.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0)
    return failed("set the mode of " + tmp_path);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("write " + tmp_path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return failed("sync " + tmp_path);
  if (!fd.close()) return failed("write " + tmp_path);
  // rename(2) replaces the directory entry `name` whatever it is: a symbolic link there is
  // replaced itself, never followed, and what it pointed to is left alone.
  if (::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0)
    return failed("replace " + path);
  // Make the rename itself durable.
  ::fsync(dfd.get());
  return Status::ok();
}

std::string parentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status makeDirectories(const std::string& path, int mode) {
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
      return Status::ioError("cannot create directory " + prefix + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::ioError(path + " is not a directory");
  return Status::ok();
}

}  // namespace cspwatch
