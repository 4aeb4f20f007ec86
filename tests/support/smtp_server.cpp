// SPDX-License-Identifier: Apache-2.0
#include "tests/support/smtp_server.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

namespace {

// Debian's python3-aiosmtpd is installed for the system interpreter only; a python3 earlier on
// PATH (pyenv, a venv) would not have it.
constexpr const char* kPython = "/usr/bin/python3";
constexpr auto kReadyTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(10);

std::string tlsName(SmtpServerTls tls) {
  switch (tls) {
    case SmtpServerTls::kStartTls:
      return "starttls";
    case SmtpServerTls::kImplicit:
      return "implicit";
    case SmtpServerTls::kNone:
      break;
  }
  return "none";
}

std::string stderrLogOf(const std::string& maildir) { return maildir + ".stderr.log"; }
std::string eventsLogOf(const std::string& maildir) { return maildir + ".events.log"; }

std::string readIfExists(const std::string& path) {
  try {
    return readFile(path);
  } catch (const std::exception&) {
    return "";
  }
}

// Waits for `pid` to exit, up to `timeout`; true when it did (and was reaped).
bool waitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Polling with a deadline: there is no portable way to wait for a child with a timeout.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Reads one line from `fd` (without the '\n'), waiting at most until `deadline`. Returns false
// on end of file or timeout; `line` then holds what arrived.
bool readLine(int fd, std::chrono::steady_clock::time_point deadline, std::string& line) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

std::vector<std::string> stringArray(const Poco::JSON::Object::Ptr& object,
                                     const std::string& key) {
  std::vector<std::string> out;
  Poco::JSON::Array::Ptr array = object->getArray(key);
  if (array)
    for (size_t i = 0; i < array->size(); ++i) out.push_back(array->getElement<std::string>(i));
  return out;
}

void writeFileOrThrow(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// Runs the openssl command; throws with its stderr when it fails.
void runOpenssl(const std::vector<std::string>& args, const std::string& dir) {
  Poco::Pipe out_pipe, err_pipe;
  Poco::ProcessHandle handle =
      Poco::Process::launch("/usr/bin/openssl", args, dir, nullptr, &out_pipe, &err_pipe);
  Poco::PipeInputStream out_stream(out_pipe), err_stream(err_pipe);
  std::string out, err;
  std::thread err_reader([&] { Poco::StreamCopier::copyToString(err_stream, err); });
  Poco::StreamCopier::copyToString(out_stream, out);
  err_reader.join();
  if (int code = handle.wait(); code != 0) {
    std::string cmd = "openssl";
    for (const auto& a : args) cmd += " " + a;
    throw std::runtime_error(cmd + " failed (" + std::to_string(code) + "): " + err);
  }
}

}  // namespace

SmtpServer::SmtpServer(SmtpServerOptions options) : options_(std::move(options)) {
  if (options_.maildir.empty()) {
    own_maildir_ = std::make_unique<TempDir>();
    options_.maildir = own_maildir_->path() + "/maildir";
  }
  Poco::File(options_.maildir).createDirectories();
  port_ = options_.port;
  start();
}

SmtpServer::~SmtpServer() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; the child also stops when its stdin closes
  }
}

void SmtpServer::start() {
  if (running()) throw std::runtime_error("SMTP server already running");
  std::vector<std::string> args = {kPython,     sourcePath("tests/support/smtp_server.py"),
                                   "--port",    std::to_string(port_),
                                   "--maildir", options_.maildir,
                                   "--tls",     tlsName(options_.tls)};
  if (!options_.cert_file.empty()) args.insert(args.end(), {"--cert", options_.cert_file});
  if (!options_.key_file.empty()) args.insert(args.end(), {"--key", options_.key_file});
  if (!options_.auth.empty()) args.insert(args.end(), {"--auth", options_.auth});
  if (!options_.auth_only.empty()) args.insert(args.end(), {"--auth-only", options_.auth_only});
  for (const auto& a : options_.reject_rcpt) args.insert(args.end(), {"--reject-rcpt", a});
  if (options_.tempfail > 0)
    args.insert(args.end(), {"--tempfail", std::to_string(options_.tempfail)});
  for (const auto& f : options_.faults)
    args.insert(args.end(),
                {"--fault",
                 f.stage + ":" + (f.times > 0 ? std::to_string(f.times) : "*") + ":" + f.action});
  args.insert(args.end(), {"--events", eventsLogOf(options_.maildir)});

  // Everything the child needs is prepared before fork(): between fork() and exec() only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err_log = stderrLogOf(options_.maildir);

  // O_CLOEXEC: another child started meanwhile must not inherit our ends (an inherited stdin
  // write end would keep this server alive after we close ours).
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  int err_fd = ::open(err_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  pid_t pid = ::fork();
  if (pid == 0) {
    // dup2() clears close-on-exec on the new descriptors.
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    // Nothing else of ours: an inherited listening socket (a test's fake server) would stay
    // open in the child after the test closed it.
    if (::close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    // Signals as a fresh process has them, whatever the forking thread had blocked.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(kPython, argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (err_fd >= 0) ::close(err_fd);
  if (pid < 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  pid_ = pid;
  stdin_fd_ = in_pipe[1];

  std::string line;
  const bool got_line =
      readLine(out_pipe[0], std::chrono::steady_clock::now() + kReadyTimeout, line);
  ::close(out_pipe[0]);
  const std::string prefix = "listening on 127.0.0.1:";
  if (got_line && line.rfind(prefix, 0) == 0) {
    try {
      port_ = std::stoi(line.substr(prefix.size()));
      return;
    } catch (const std::exception&) {  // reported below
    }
  }
  stop();
  throw std::runtime_error("SMTP server did not start (" + std::string(kPython) + " " + args[1] +
                           "); stdout: '" + line + "'; stderr:\n" + readIfExists(err_log));
}

void SmtpServer::stop() {
  if (pid_ <= 0) return;
  const pid_t pid = pid_;
  pid_ = -1;
  ::kill(pid, SIGTERM);
  ::close(stdin_fd_);
  stdin_fd_ = -1;
  if (!waitForExit(pid, kStopTimeout)) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw std::runtime_error("SMTP server did not stop on SIGTERM; stderr:\n" +
                             readIfExists(stderrLogOf(options_.maildir)));
  }
}

void SmtpServer::restart() {
  stop();
  start();
}

std::vector<ReceivedMessage> SmtpServer::messages() const {
  std::vector<int> numbers;
  for (Poco::DirectoryIterator it(options_.maildir), end; it != end; ++it) {
    const std::string name = it.name();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".eml") == 0 &&
        std::all_of(name.begin(), name.end() - 4, [](char c) { return c >= '0' && c <= '9'; }))
      numbers.push_back(std::stoi(name.substr(0, name.size() - 4)));
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<ReceivedMessage> out;
  for (int n : numbers) {
    const std::string base = options_.maildir + "/" + std::to_string(n);
    ReceivedMessage m;
    m.data = readFile(base + ".eml");
    // The server writes <n>.json before <n>.eml: it is there.
    Poco::JSON::Object::Ptr meta = parseObject(readFile(base + ".json"));
    m.mail_from = meta->optValue<std::string>("mail_from", "");
    m.rcpt_tos = stringArray(meta, "rcpt_tos");
    m.auth_user = meta->optValue<std::string>("auth_user", "");
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> SmtpServer::events() const {
  std::vector<std::string> out;
  std::istringstream in(readIfExists(eventsLogOf(options_.maildir)));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TestCertificates makeTestCertificates(const std::string& dir,
                                      const std::vector<std::string>& subject_alt_names) {
  Poco::File(dir).createDirectories();
  // Own config files, so that the system's openssl.cnf adds no extensions of its own.
  writeFileOrThrow(dir + "/ca.cnf",
                   "[req]\n"
                   "distinguished_name = dn\n"
                   "x509_extensions = v3_ca\n"
                   "prompt = no\n"
                   "[dn]\n"
                   "CN = cspwatch throwaway test CA\n"
                   "[v3_ca]\n"
                   "basicConstraints = critical,CA:TRUE\n"
                   "keyUsage = critical,keyCertSign,cRLSign\n"
                   "subjectKeyIdentifier = hash\n");
  std::string sans;
  for (const auto& s : subject_alt_names) sans += (sans.empty() ? "" : ",") + s;
  writeFileOrThrow(dir + "/server.ext",
                   "basicConstraints = CA:FALSE\n"
                   "keyUsage = critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "authorityKeyIdentifier = keyid\n" +
                       (sans.empty() ? std::string() : "subjectAltName = " + sans + "\n"));
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                       "-nodes"};
  std::vector<std::string> ca = {"req", "-x509", "-config", "ca.cnf", "-days", "2"};
  ca.insert(ca.end(), ec.begin(), ec.end());
  ca.insert(ca.end(), {"-keyout", "ca.key", "-out", "ca.pem"});
  runOpenssl(ca, dir);
  std::vector<std::string> csr = {"req", "-new", "-subj", "/CN=cspwatch test SMTP server"};
  csr.insert(csr.end(), ec.begin(), ec.end());
  csr.insert(csr.end(), {"-keyout", "server.key", "-out", "server.csr"});
  runOpenssl(csr, dir);
  runOpenssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem"},
             dir);
  return {dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
}

}  // namespace cspwatch::testing
