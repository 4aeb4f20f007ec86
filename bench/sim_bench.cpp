// SPDX-License-Identifier: Apache-2.0
// The simulator's start-up time with a generated world and its request rate on one core.
// Runs build/bin/cspwatch-sim pinned to CPU 0 (taskset) with zero latency and no rate limits,
// and drives it from this process pinned to CPU 1 over keep-alive connections on loopback.
//
// Also the simulator's CPU time (user+sys, /proc) per request, which other work on the machine
// disturbs less than the rate.
//
// Usage: sim_bench [TENANTS] [SECONDS] [CONNECTIONS]   (defaults 10000, 5, 4)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <sched.h>
#include <unistd.h>

using Clock = std::chrono::steady_clock;

namespace {

// utime + stime of process `pid` (every thread), in seconds; -1 if unreadable.
double processCpuSeconds(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)  // fields 14 and 15: utime, stime
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string tenants = argc > 1 ? argv[1] : "10000";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5;
  const int connections = argc > 3 ? std::stoi(argv[3]) : 4;
  const std::string bin = std::string(CSPWATCH_BIN_DIR) + "/cspwatch-sim";

  Poco::Pipe out;
  const auto t0 = Clock::now();
  char dir_template[] = "/tmp/cspwatch-sim-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  Poco::ProcessHandle sim =
      Poco::Process::launch("taskset",
                            {"-c", "0", bin, "--generate", tenants, "--seed", "1",
                             "--no-rate-limits", "--write-config", dir + "/cspwatch.yaml"},
                            nullptr, &out, nullptr);
  Poco::PipeInputStream in(out);
  std::string line;
  std::getline(in, line);
  const double startup = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::string port = line.substr(line.rfind(':') + 1);
  std::printf("start-up with %s generated tenants: %.3f s (to the 'listening' line)\n",
              tenants.c_str(), startup);

  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(1, &cpus);
  sched_setaffinity(0, sizeof cpus, &cpus);

  // A token, with the credentials --write-config wrote.
  auto readFirstLine = [](const std::string& path) {
    std::ifstream f(path);
    std::string l;
    std::getline(f, l);
    return l;
  };
  std::string client_id;
  {
    std::ifstream cfg(dir + "/cspwatch.yaml");
    for (std::string l; std::getline(cfg, l);)
      if (l.find("client_id:") != std::string::npos) client_id = l.substr(l.find(':') + 2);
  }
  const std::string secret = readFirstLine(dir + "/client_secret");
  auto token = [&](const std::string& tenant, const std::string& scope) {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(std::stoi(port)));
    Poco::Net::HTTPRequest r(Poco::Net::HTTPRequest::HTTP_POST,
                             "/login/" + tenant + "/oauth2/v2.0/token",
                             Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string body = "grant_type=client_credentials&client_id=" + client_id +
                             "&client_secret=" + secret + "&scope=" + scope;
    r.setContentType("application/x-www-form-urlencoded");
    r.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(r) << body;
    Poco::Net::HTTPResponse resp;
    std::string text;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), text);
    const size_t at = text.find("\"access_token\":\"") + 16;
    return text.substr(at, text.find('"', at) - at);
  };
  const std::string partner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
  const std::string pc = token(partner, "https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default");
  const std::string graph = token(partner, "https%3A%2F%2Fgraph.microsoft.com%2F.default");
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(std::stoi(port)));
      s.setKeepAlive(true);
      long n = 0;
      while (!stop) {
        // The calls a scan makes most: customer pages and relationship pages.
        const bool use_pc = (n + c) % 2 == 0;
        Poco::Net::HTTPRequest r(
            Poco::Net::HTTPRequest::HTTP_GET,
            use_pc ? "/pc/v1/customers?size=20"
                   : "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=20",
            Poco::Net::HTTPMessage::HTTP_1_1);
        r.set("Authorization", "Bearer " + (use_pc ? pc : graph));
        r.setKeepAlive(true);
        s.sendRequest(r);
        Poco::Net::HTTPResponse resp;
        std::string body;
        Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
        ++n;
      }
      done += n;
    });
  }
  const auto t1 = Clock::now();
  const double cpu0 = processCpuSeconds(sim.id());
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : clients) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t1).count();
  const double sim_cpu = processCpuSeconds(sim.id()) - cpu0;
  std::printf(
      "requests served on one core: %.0f per second (%ld in %.1f s, %d keep-alive connections)\n",
      done / elapsed, done.load(), elapsed, connections);
  if (cpu0 >= 0 && sim_cpu > 0)
    std::printf("requests per CPU-second of the simulator: %.0f (%.2f s of CPU)\n", done / sim_cpu,
                sim_cpu);
  Poco::Process::kill(sim);
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
