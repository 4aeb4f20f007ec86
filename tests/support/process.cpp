// SPDX-License-Identifier: Apache-2.0
#include "tests/support/process.h"

#include <thread>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

namespace cspwatch::testing {

ProcessResult runBinary(const std::string& binary, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  return runCommand(std::string(CSPWATCH_BIN_DIR) + "/" + binary, args, env);
}

ProcessResult runCommand(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
  Poco::Pipe out_pipe, err_pipe;
  Poco::Process::Env penv(env.begin(), env.end());
  Poco::ProcessHandle handle =
      Poco::Process::launch(program, args, std::string(), nullptr, &out_pipe, &err_pipe, penv);
  ProcessResult r;
  Poco::PipeInputStream out_stream(out_pipe), err_stream(err_pipe);
  // Read stderr on a second thread so a chatty child cannot block on a full pipe.
  std::thread err_reader([&] { Poco::StreamCopier::copyToString(err_stream, r.err); });
  Poco::StreamCopier::copyToString(out_stream, r.out);
  err_reader.join();
  r.exit_code = handle.wait();
  return r;
}

}  // namespace cspwatch::testing
