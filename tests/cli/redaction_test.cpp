// SPDX-License-Identifier: Apache-2.0
// No secret leaves through an error message: the real binary against a REFLECTING server, one
// that answers every call with an error echoing the request (the form with the client secret
// and the refresh token, the Authorization header with the bearer token, the query) in the
// services' own error shapes, plain, URL-encoded, JSON-escaped or in base64. Every sink is then
// searched for every form of every secret: `auth status` (stdout and stderr), the log (stderr at
// trace level), the database (every text of every table, and the raw bytes of its files), the
// could-not-check and sign-in messages (the file transport's .eml files, the outbox rows) and
// what the Graph sendMail transport posts (the message and the failure it records).
#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "common/text.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;

namespace {

const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kPartnerTenant = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";  // kDemoPartnerYaml
// An older Entra secret is base64 (with '+', '/', '='); the refresh token and the Partner
// Center token hold the characters that form and JSON encoders treat differently.
const std::string kSecret = "Cs8~Qx/Lm+Tr4=Wq1.vZ_9kP-2aN";
const std::string kRefresh = "0.AR8Ax/Rt+9kLmQz_8vWp-3Yh~7Jd.5FsG2";
const std::string kPcToken = "at.Pc/4k+Zr8~Lq_2.Wm-6Tx9Vb3Ny5=";
const std::string kGraphToken =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwOi8vMTI3LjAuMC4xL2dyYXBoIn0."
    "c2lnbmF0dXJlLXJlZmxlY3RlZA";

enum class Echo { kPlain, kUrlUpper, kUrlLower, kJson, kBase64, kBase64Url };

const char* echoName(Echo e) {
  switch (e) {
    case Echo::kPlain:
      return "plain";
    case Echo::kUrlUpper:
      return "URL-encoded, upper-case hex";
    case Echo::kUrlLower:
      return "form-encoded, lower-case hex";
    case Echo::kJson:
      return "JSON-escaped";
    case Echo::kBase64:
      return "base64";
    case Echo::kBase64Url:
      return "base64url";
  }
  return "";
}

std::string base64(const std::string& bytes, bool url) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, url ? Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING : 0);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

std::string percentEncode(const std::string& s, bool lower, bool plus_for_space) {
  const char* hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string jsonString(const std::string& s) {
  std::ostringstream out;
  Poco::JSON::Stringifier::formatString(s, out);  // Poco writes '/' as "\/"
  return out.str();
}

// The server: every request kept, every answer an error echoing it.
struct Seen {
  std::string method, uri, authorization, body;
};

class ReflectingServer {
 public:
  ReflectingServer() : state_(std::make_shared<State>()) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    base = "http://127.0.0.1:" + std::to_string(socket.address().port());
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
    server_->start();
  }
  ~ReflectingServer() { server_->stopAll(true); }

  void echoAs(Echo e) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->echo = e;
  }
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->seen;
  }

  std::string base;

 private:
  struct State {
    std::mutex mutex;
    Echo echo = Echo::kPlain;
    std::vector<Seen> seen;
  };

  // What the request carried that a server might echo: the secrets of a token request's
  // form, the Authorization header, the query.
  static std::string echoOf(const Seen& r, Echo how) {
    std::vector<std::pair<std::string, std::string>> said;
    if (r.uri.find("/oauth2/") != std::string::npos)
      for (const auto& field : split(r.body, '&')) {
        const size_t eq = field.find('=');
        const std::string name = field.substr(0, eq);
        if (eq == std::string::npos || (name != "client_secret" && name != "refresh_token" &&
                                        name != "client_assertion" && name != "code"))
          continue;
        std::string value;
        Poco::URI::decode(replaceAll(field.substr(eq + 1), "+", " "), value);
        said.push_back({name, value});
      }
    if (!r.authorization.empty()) said.push_back({"Authorization", r.authorization});
    if (const size_t q = r.uri.find('?'); q != std::string::npos)
      said.push_back({"query", r.uri.substr(q + 1)});
    std::string plain;
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, value] : said) {
      plain += (plain.empty() ? "" : " ") + name + "=" + value;
      o.set(name, value);
    }
    switch (how) {
      case Echo::kPlain:
        return "you sent " + plain;
      case Echo::kUrlUpper:
        return "you sent " + percentEncode(plain, false, false);
      case Echo::kUrlLower:
        return "you sent " + percentEncode(plain, true, true);
      case Echo::kJson: {
        std::ostringstream out;
        o.stringify(out);
        return "you sent " + out.str();
      }
      case Echo::kBase64:
        return "you sent " + base64(plain, false);
      case Echo::kBase64Url:
        return "you sent " + base64(plain, true);
    }
    return "";
  }

  // The services' error shapes: Entra {"error", "error_description", "error_codes"}, Graph
  // {"error": {"code", "message"}}, Partner Center {"code", "description"}. The token
  // endpoint grants app-only tokens in the partner tenant (so that the API calls are made,
  // with a bearer token to echo) and refuses the rest: the refresh token with AADSTS700082,
  // which cspwatch reports as a sign-in it cannot make.
  static std::pair<int, std::string> answer(const Seen& r, Echo how) {
    const std::string echo = echoOf(r, how);
    if (r.uri.find("/oauth2/v2.0/token") != std::string::npos) {
      const bool app_only = r.body.find("grant_type=client_credentials") != std::string::npos;
      if (app_only && r.uri.find("/" + kPartnerTenant + "/") != std::string::npos) {
        const bool graph = r.body.find("%2Fgraph%2F.default") != std::string::npos ||
                           r.body.find("/graph/.default") != std::string::npos;
        return {200, "{\"access_token\":" + jsonString(graph ? kGraphToken : kPcToken) +
                         ",\"token_type\":\"Bearer\",\"expires_in\":3600}"};
      }
      if (app_only)
        return {401,
                "{\"error\":\"invalid_client\",\"error_codes\":[7000215],"
                "\"error_description\":" +
                    jsonString("AADSTS7000215: Invalid client secret provided, " + echo) + "}"};
      return {400,
              "{\"error\":\"invalid_grant\",\"error_codes\":[700082],"
              "\"error_description\":" +
                  jsonString("AADSTS700082: The refresh token has expired, " + echo) + "}"};
    }
    if (r.uri.find("/graph/") != std::string::npos)
      return {r.method == "POST" ? 400 : 403,
              "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":" +
                  jsonString(echo) + "}}"};
    return {403, "{\"code\":2032,\"description\":" + jsonString(echo) + "}"};
  }

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      Seen r{req.getMethod(), req.getURI(), req.get("Authorization", ""), ""};
      Poco::StreamCopier::copyToString(req.stream(), r.body);
      Echo how;
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->seen.push_back(r);
        how = state_->echo;
      }
      const auto [status, body] = answer(r, how);
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      resp.setContentType("application/json");
      resp.setContentLength(static_cast<std::streamsize>(body.size()));
      resp.send() << body;
    }

   private:
    std::shared_ptr<State> state_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(state_);
    }

   private:
    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// Every form a secret might leave in: plain, form- and URL-encoded (either case), JSON-escaped,
// and the part of its base64 and base64url that depends on it alone, at each alignment.
std::vector<std::string> formsOf(const std::string& secret) {
  std::vector<std::string> forms = {secret, percentEncode(secret, false, false),
                                    percentEncode(secret, true, true), testing::urlEncode(secret)};
  const std::string json = jsonString(secret);
  forms.push_back(json.substr(1, json.size() - 2));
  for (bool url : {false, true})
    for (size_t align = 0; align < 3; ++align) {
      const std::string encoded = base64(std::string(align, 'x') + secret, url);
      const size_t begin = (8 * align + 5) / 6, end = 8 * (align + secret.size()) / 6;
      forms.push_back(encoded.substr(begin, end - begin));
    }
  return forms;
}

// Quoted-printable undone where it is (mail bodies): soft line breaks, "=XX".
std::string unquote(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && s.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (s[i] == '=' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Fails, naming the sink, the secret and the form, for any piece of 16 bytes of any form of any
// secret in `text` (raw, and with quoted-printable undone).
void checkClean(const std::string& sink, const std::string& text) {
  const std::map<std::string, std::string> secrets = {{"the client secret", kSecret},
                                                      {"the refresh token", kRefresh},
                                                      {"the Partner Center token", kPcToken},
                                                      {"the Graph token", kGraphToken}};
  for (const std::string& haystack : {text, unquote(text)})
    for (const auto& [name, secret] : secrets)
      for (const auto& form : formsOf(secret))
        for (size_t at = 0; at + 16 <= form.size(); at += 4) {
          const size_t found = haystack.find(form.substr(at, 16));
          if (found == std::string::npos) continue;
          INFO(sink << " holds a piece of " << name << " (form " << form << "): ..."
                    << haystack.substr(found < 150 ? 0 : found - 150, 300) << "...");
          FAIL_CHECK("a secret leaked");
          return;
        }
}

// Every text of every table, and the raw bytes of the database's files.
std::string databaseText(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st,
                             nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  std::string all;
  for (const auto& t : tables) {
    REQUIRE(sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\"").c_str(), -1, &st, nullptr) ==
            SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      for (int c = 0; c < sqlite3_column_count(st); ++c)
        if (const auto* v = sqlite3_column_blob(st, c))
          all.append(static_cast<const char*>(v), static_cast<size_t>(sqlite3_column_bytes(st, c)))
              .append("\n");
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  for (const char* suffix : {"", "-wal", "-journal"})
    if (const auto names = testing::listDirectory(path.substr(0, path.rfind('/')));
        std::find(names.begin(), names.end(), path.substr(path.rfind('/') + 1) + suffix) !=
        names.end())
      all += testing::readFile(path + suffix);
  return all;
}

// One configuration over the demo inventory, its Partner Center, Graph and sign-in at the
// reflecting server, mail through `transport_yaml`.
struct Setup {
  TempDir dir;
  std::string config;
  Setup(const ReflectingServer& server, const std::string& transport_yaml) {
    dir.write("client_secret", kSecret + "\n");
    dir.write("refresh_token", kRefresh + "\n");
    config = dir.write(
        "cspwatch.yaml",
        testing::kDemoPartnerYaml + "sources:\n  partner_center:\n    login_url: " + server.base +
            "/login\n    partner_center_url: " + server.base +
            "/pc\n    graph_url: " + server.base + "/graph\n    client_id: " + kClient +
            "\n    client_secret_file: client_secret\n    refresh_token_file: refresh_token\n"
            "    concurrency: 4\n    retry_backoff_ms: 10\n"
            "  inventory:\n    path: " +
            testing::sourcePath("etc/demo/inventory.json") +
            "\nstorage:\n  path: cspwatch.db\nrules:\n  paths: [" +
            testing::sourcePath("etc/rules.d") +
            "]\nalerts:\n  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
            "  templates_dir: " +
            testing::sourcePath("etc/templates") +
            "\n  routes:\n    - to: [ops@northwind-it.com.au]\n      default: true\n"
            "  could_not_check_after_scans: 1\n" +
            transport_yaml);
  }
  testing::ProcessResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config});
    return testing::runBinary("cspwatch", args);
  }
};

std::string decodeBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("redaction: no secret reaches any sink when every server echoes the request",
          "[redaction]") {
  ReflectingServer server;
  for (Echo echo : {Echo::kPlain, Echo::kUrlUpper, Echo::kUrlLower, Echo::kJson, Echo::kBase64,
                    Echo::kBase64Url}) {
    INFO("the server echoes " << echoName(echo));
    server.echoAs(echo);

    // auth status: stdout (the table, the JSON) and stderr.
    Setup files(server, "  transport: file\n  file:\n    dir: mail\n");
    for (const char* format : {"table", "json"}) {
      auto status = files.run({"--log-level", "trace", "auth", "status", "--format", format});
      REQUIRE(status.exit_code == 1);  // the echoing server refuses everything
      CHECK_THAT(status.out, Catch::Contains("[redacted]"));  // the echo got through, redacted
      checkClean(std::string("auth status --format ") + format + " stdout", status.out);
      checkClean(std::string("auth status --format ") + format + " stderr", status.err);
    }

    // A recorded scan with mail written to files: the log, the database, the .eml files.
    auto scan = files.run({"--log-level", "trace", "scan", "--once"});
    INFO(scan.err.substr(0, 3000));
    REQUIRE((scan.exit_code == 0 || scan.exit_code == 1));
    CHECK_THAT(scan.err, Catch::Contains("[redacted]"));
    checkClean("scan --once stdout", scan.out);
    checkClean("scan --once stderr (the log)", scan.err);
    const std::string db = databaseText(files.dir.file("cspwatch.db"));
    CHECK_THAT(db, Catch::Contains("[redacted]"));
    CHECK_THAT(db, Catch::Contains("could not be read"));  // could-not-check reasons stored
    checkClean("the database", db);
    const auto mails = testing::listDirectory(files.dir.file("mail"));
    REQUIRE(mails.size() >= 2);  // the sign-in message and the could-not-check digest
    std::string eml;
    for (const auto& m : mails) eml += testing::readFile(files.dir.file("mail/" + m));
    CHECK_THAT(unquote(eml), Catch::Contains("[redacted]"));
    CHECK_THAT(unquote(eml), Catch::Contains("cannot sign in"));
    CHECK_THAT(unquote(eml), Catch::Contains("Could not be checked"));
    checkClean("the .eml files", eml);

    // The same through Graph sendMail (the webhook-like sink): what is posted, and the
    // reflected failure the outbox records.
    const size_t before = server.seen().size();
    Setup graph(server, "  transport: graph\n  graph:\n    mailbox: alerts@northwind-it.com.au\n");
    auto graph_scan = graph.run({"--log-level", "trace", "scan", "--once"});
    REQUIRE((graph_scan.exit_code == 0 || graph_scan.exit_code == 1));
    checkClean("scan --once with Graph mail, stderr", graph_scan.err);
    std::string posted;
    for (const auto& r : server.seen())
      if (r.method == "POST" && r.uri.find("/sendMail") != std::string::npos) posted += r.body;
    REQUIRE_FALSE(posted.empty());
    const std::string message = decodeBase64(posted);
    CHECK_THAT(unquote(message), Catch::Contains("[redacted]"));
    checkClean("the messages posted to sendMail", message);
    const std::string graph_db = databaseText(graph.dir.file("cspwatch.db"));
    CHECK_THAT(graph_db, Catch::Contains("400 Authorization_RequestDenied"));  // last_error
    checkClean("the database with Graph mail (outbox last_error)", graph_db);
    CHECK(server.seen().size() > before);
  }
}
