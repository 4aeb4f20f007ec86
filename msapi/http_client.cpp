// SPDX-License-Identifier: Apache-2.0
#include "msapi/http_client.h"

#include <memory>
#include <mutex>
#include <sstream>

#include <Poco/InflatingStream.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "common/text.h"

namespace cspwatch::msapi {

bool isLoopbackUrl(const std::string& url) {
  try {
    Poco::URI uri(url);
    const std::string host = uri.getHost();
    return isLoopbackHost(host);
  } catch (const Poco::Exception&) {
    return false;
  }
}

namespace {

// TLS with the system's CA store and strict verification; an invalid certificate is refused,
// never accepted or asked about. Made once for the process.
Poco::Net::Context::Ptr tlsContext() {
  static std::once_flag once;
  static Poco::Net::Context::Ptr context;
  std::call_once(once, [] {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                     Poco::Net::Context::VERIFY_STRICT, 9, true);
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
  });
  return context;
}

// Connections kept alive per thread, scheme, host and port.
std::unique_ptr<Poco::Net::HTTPClientSession>& sessionFor(const Poco::URI& uri) {
  thread_local std::map<std::string, std::unique_ptr<Poco::Net::HTTPClientSession>> sessions;
  return sessions[uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort())];
}

}  // namespace

Result<HttpResponse> HttpClient::send(const HttpRequest& req) const {
  Poco::URI uri;
  try {
    uri = Poco::URI(req.url);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("bad URL '" + req.url + "': " + e.displayText());
  }
  const bool https = uri.getScheme() == "https";
  if (!https && !(uri.getScheme() == "http" && isLoopbackUrl(req.url)))
    return Status::invalidArgument("refusing " + uri.getScheme() + "://" + uri.getHost() +
                                   ": only https is allowed, except to a loopback address");
  auto& session = sessionFor(uri);
  // Two tries: a kept-alive connection the server closed meanwhile fails at once, and only
  // then is a fresh connection worth trying.
  for (int round = 0; round < 2; ++round) {
    const bool reused = session != nullptr;
    try {
      if (!session) {
        if (https)
          session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                    tlsContext());
        else
          session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setKeepAlive(true);
        session->setTimeout(Poco::Timespan(options_.connect_timeout.count(), 0),
                            Poco::Timespan(options_.read_timeout.count(), 0),
                            Poco::Timespan(options_.read_timeout.count(), 0));
      }
      Poco::Net::HTTPRequest r(req.method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
      r.setKeepAlive(true);
      r.set("Accept-Encoding", "gzip");
      for (const auto& [k, v] : req.headers) r.set(k, v);
      if (!req.body.empty() || req.method == "POST") {
        r.setContentType(req.content_type.empty() ? "application/x-www-form-urlencoded"
                                                  : req.content_type);
        r.setContentLength(static_cast<std::streamsize>(req.body.size()));
      }
      session->sendRequest(r) << req.body;
      Poco::Net::HTTPResponse resp;
      std::istream& in = session->receiveResponse(resp);
      HttpResponse out;
      out.status = resp.getStatus();
      for (const auto& [k, v] : resp) out.headers[toLowerAscii(k)] = v;
      // Read with a limit, so a hostile or broken server cannot exhaust memory.
      std::string raw;
      char buf[16384];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        raw.append(buf, static_cast<size_t>(in.gcount()));
        if (raw.size() > options_.max_body_bytes) {
          session.reset();
          return Status::unavailable("response from " + uri.getHost() + " is larger than " +
                                     std::to_string(options_.max_body_bytes) + " bytes");
        }
      }
      if (resp.hasContentLength() &&
          static_cast<int64_t>(raw.size()) != resp.getContentLength64()) {
        session.reset();
        return Status::unavailable("truncated response: " + std::to_string(raw.size()) + " of " +
                                   std::to_string(resp.getContentLength64()) + " bytes");
      }
      if (toLowerAscii(out.header("content-encoding")) == "gzip") {
        // The limit holds for the inflated body too: a small gzip "bomb" can inflate a
        // thousandfold.
        std::istringstream zin(raw);
        Poco::InflatingInputStream inflate(zin, Poco::InflatingStreamBuf::STREAM_GZIP);
        std::string plain;
        while (inflate.read(buf, sizeof buf) || inflate.gcount() > 0) {
          plain.append(buf, static_cast<size_t>(inflate.gcount()));
          if (plain.size() > options_.max_body_bytes) {
            session.reset();
            return Status::unavailable("response from " + uri.getHost() +
                                       " inflates to more than " +
                                       std::to_string(options_.max_body_bytes) + " bytes");
          }
        }
        out.body = std::move(plain);
      } else {
        out.body = std::move(raw);
      }
      if (!resp.getKeepAlive()) session.reset();
      // Method, URL and outcome only: headers and bodies may hold credentials.
      log().trace("{} {}://{}:{}{} -> {} ({} bytes)", req.method, uri.getScheme(), uri.getHost(),
                  uri.getPort(), uri.getPath(), out.status, out.body.size());
      return out;
    } catch (const Poco::TimeoutException& e) {
      session.reset();
      return Status::unavailable("timed out talking to " + uri.getHost() + ": " + e.displayText());
    } catch (const Poco::Exception& e) {
      session.reset();
      if (reused && round == 0) continue;
      return Status::unavailable("connection to " + uri.getHost() + ":" +
                                 std::to_string(uri.getPort()) + " failed: " + e.displayText());
    } catch (const std::exception& e) {
      session.reset();
      return Status::unavailable(std::string("HTTP exchange failed: ") + e.what());
    }
  }
  return Status::unavailable("connection to " + uri.getHost() + " failed");
}

}  // namespace cspwatch::msapi
