// SPDX-License-Identifier: Apache-2.0
#include "msapi/auth_code_login.h"

#include <cerrno>
#include <cstring>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>
#include <poll.h>
#include <unistd.h>

#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"
#include "msapi/cloud.h"
#include "msapi/encoding.h"

namespace cspwatch::msapi {

namespace {

std::string randomBytes(size_t n) {
  Poco::RandomInputStream random;
  std::string bytes(n, '\0');
  random.read(bytes.data(), static_cast<std::streamsize>(n));
  return bytes;
}

// The page the browser gets back: a title and one sentence, never a token or the code.
std::string page(int status, const std::string& title, const std::string& text) {
  const std::string reason = status == 200   ? "OK"
                             : status == 400 ? "Bad Request"
                             : status == 404 ? "Not Found"
                                             : "Method Not Allowed";
  const std::string body =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cspwatch: " +
      htmlEscape(title) + "</title></head>\n<body><h1>" + htmlEscape(title) + "</h1>\n<p>" +
      htmlEscape(text) + "</p></body></html>\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) +
         "\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n"
         "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
         body;
}

// One sign-in attempt: what it expects back and what it does with an answer.
class Attempt {
 public:
  Attempt(TokenProvider& tokens, std::string redirect_uri, std::string state, std::string verifier,
          const std::function<void(const std::string&)>& tell)
      : tokens_(tokens),
        redirect_uri_(std::move(redirect_uri)),
        state_(std::move(state)),
        verifier_(std::move(verifier)),
        tell_(tell) {}

  const std::string& redirectUri() const { return redirect_uri_; }
  bool stateMatches(const RedirectAnswer& a) const { return a.state == state_; }

  // Ends the attempt with the answer: the browser's error, or the code redeemed.
  Status finish(const RedirectAnswer& a) {
    if (!a.error.empty()) {
      // Both come from the redirect's query: outside text.
      std::string message =
          "the sign-in was refused in the browser (" + outsideText(a.error, 100) + ")";
      if (!a.error_description.empty()) message += ": " + entraErrorLine(a.error_description);
      if (a.error == "access_denied")
        message +=
            ". The partner user (or, for the whole tenant, an admin) must consent to the app's "
            "delegated Partner Center permission (user_impersonation); then run 'cspwatch auth "
            "login' again";
      return Status::invalidArgument(message);
    }
    tell_("Received the authorization code; redeeming it.");
    return tokens_.redeemAuthorizationCode(a.code, redirect_uri_, verifier_);
  }

  void wrongState(const char* where) {
    tell_(std::string("An answer ") + where +
          " belongs to another sign-in attempt (its state does not match this one's) and was "
          "ignored. Use the address printed above, and this attempt's browser tab.");
  }

 private:
  TokenProvider& tokens_;
  std::string redirect_uri_;
  std::string state_;
  std::string verifier_;
  const std::function<void(const std::string&)>& tell_;
};

// Serves one connection to the listener. Returns the attempt's end when the browser brought
// the answer, nullopt when the wait goes on.
std::optional<Status> serveBrowser(Poco::Net::ServerSocket& listener, Attempt& attempt) {
  Poco::Net::StreamSocket client;
  try {
    client = listener.acceptConnection();
    client.setReceiveTimeout(Poco::Timespan(5, 0));
    client.setSendTimeout(Poco::Timespan(5, 0));
  } catch (const Poco::Exception& e) {
    log().debug("sign-in listener: accept failed: {}", e.displayText());
    return std::nullopt;
  }
  auto answerWith = [&client](const std::string& response) {
    try {
      client.sendBytes(response.data(), static_cast<int>(response.size()));
      client.shutdownSend();
    } catch (const Poco::Exception& e) {
      log().debug("sign-in listener: cannot answer the browser: {}", e.displayText());
    }
  };
  std::string head;
  try {
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
      const int n = client.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
  } catch (const Poco::Exception& e) {
    log().debug("sign-in listener: reading a request failed: {}", e.displayText());
    return std::nullopt;
  }
  // "GET /?code=...&state=... HTTP/1.1"
  const std::string line = head.substr(0, head.find("\r\n"));
  const auto parts = split(line, ' ');
  if (parts.size() != 3 || !startsWith(parts[1], "/")) {
    answerWith(page(400, "Not a sign-in answer", "This is cspwatch's sign-in listener."));
    return std::nullopt;
  }
  if (parts[0] != "GET") {
    answerWith(page(405, "Not a sign-in answer", "This is cspwatch's sign-in listener."));
    return std::nullopt;
  }
  auto answer = parseRedirect(parts[1]);
  if (!answer) {
    answerWith(page(404, "Not a sign-in answer",
                    "This is cspwatch's sign-in listener; it waits for Microsoft's sign-in page "
                    "to send the browser here."));
    return std::nullopt;
  }
  if (!attempt.stateMatches(*answer)) {
    attempt.wrongState("that came to the listener");
    answerWith(page(400, "Not this sign-in",
                    "This answer belongs to another cspwatch sign-in attempt and was ignored. "
                    "Use the address the running 'cspwatch auth login' printed."));
    return std::nullopt;
  }
  Status done = attempt.finish(*answer);
  if (done)
    answerWith(page(200, "Signed in",
                    "cspwatch stored the partner user's refresh token. You can close this tab "
                    "and return to the terminal."));
  else
    answerWith(
        page(400, "Sign-in failed",
             done.message() + ". The terminal running 'cspwatch auth login' says the same."));
  return done;
}

// The listener for the browser's answer on 127.0.0.1:`port` (0: any free one).
Status listenOnLoopback(Poco::Net::ServerSocket& listener, int port) {
  try {
    listener.bind(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true,
        false);  // SO_REUSEADDR (a restart soon after), not SO_REUSEPORT: a busy port must fail
    listener.listen(8);
  } catch (const Poco::Exception& e) {
    return Status::unavailable("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                               e.displayText() + " (choose another with --port)");
  }
  return Status::ok();
}

// What the user reads first: where to sign in, and how the answer can come back.
void tellHowToSignIn(const std::function<void(const std::string&)>& tell,
                     const std::string& authorize_url, const std::string& redirect_uri,
                     bool can_paste) {
  tell(
      "Sign in as the partner user (an admin agent of the partner tenant, with MFA): open this "
      "address in a browser:");
  tell("");
  tell(authorize_url);
  tell("");
  tell("Waiting for the browser to return to " + redirect_uri + " on this machine.");
  if (can_paste)
    tell(
        "If the browser runs on another machine (cspwatch over SSH), it shows an error page for "
        "localhost after the sign-in: copy the whole address from its address bar, paste it "
        "here and press Enter.");
}

// The redirected address as the user pastes it: read from `fd` as it comes, a line at a time.
class PastedInput {
 public:
  PastedInput(int fd, Attempt& attempt, const std::function<void(const std::string&)>& tell)
      : fd_(fd), attempt_(attempt), tell_(tell) {}

  int fd() const { return fd_; }  // -1 when there is none, or once it has ended

  // Reads what has arrived. Returns the attempt's end when a pasted line brought the answer,
  // nullopt when the wait goes on.
  std::optional<Status> readAvailable() {
    char buf[4096];
    const ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) return std::nullopt;
    if (got <= 0) {
      // End of input (or it cannot be read): only the browser can answer now.
      fd_ = -1;
      if (auto done = line(pasted_)) return done;
      pasted_.clear();
      return std::nullopt;
    }
    pasted_.append(buf, static_cast<size_t>(got));
    for (size_t nl; (nl = pasted_.find('\n')) != std::string::npos;) {
      const std::string text = pasted_.substr(0, nl);
      pasted_.erase(0, nl + 1);
      if (auto done = line(text)) return done;
    }
    if (pasted_.size() > 65536) {
      pasted_.clear();
      tell_("That line is too long to be the redirected address; paste it again.");
    }
    return std::nullopt;
  }

 private:
  // Handles one pasted line: the attempt's end, or nullopt to go on waiting.
  std::optional<Status> line(const std::string& text) {
    if (trim(text).empty()) return std::nullopt;
    auto answer = parseRedirect(text);
    if (!answer) {
      tell_(
          "That is not the address the browser was sent to: paste the whole address from the "
          "address bar (it holds code= and state=, or error=).");
      return std::nullopt;
    }
    if (!attempt_.stateMatches(*answer)) {
      attempt_.wrongState("that was pasted");
      return std::nullopt;
    }
    return attempt_.finish(*answer);
  }

  int fd_;
  Attempt& attempt_;
  const std::function<void(const std::string&)>& tell_;
  std::string pasted_;  // what has come since the last line end
};

// Waits for the answer at the listener and on the pasted input together, until it comes, the
// deadline passes or `cancel`. The loop wakes every 100 ms to see the clock and the cancellation.
Status waitForAnswer(Poco::Net::ServerSocket& listener, PastedInput& pasted, Attempt& attempt,
                     const Clock& clock, Timestamp deadline, Seconds timeout,
                     Cancellation& cancel) {
  while (true) {
    if (cancel.cancelled()) return Status::aborted("sign-in cancelled");
    if (clock.now() >= deadline)
      return Status::unavailable("the sign-in was not completed within " +
                                 std::to_string(timeout.count()) +
                                 " s; run 'cspwatch auth login' again");
    pollfd fds[2] = {{listener.impl()->sockfd(), POLLIN, 0}, {pasted.fd(), POLLIN, 0}};
    const int n = ::poll(fds, pasted.fd() >= 0 ? 2 : 1, 100);
    if (n < 0 && errno != EINTR)
      return Status::ioError(std::string("waiting for the sign-in failed: ") +
                             std::strerror(errno));
    if (n <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0)
      if (auto done = serveBrowser(listener, attempt)) return *done;
    if (pasted.fd() >= 0 && fds[1].revents != 0)
      if (auto done = pasted.readAvailable()) return *done;
  }
}

}  // namespace

std::string pkceChallenge(const std::string& verifier) {
  Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
  sha256.update(verifier);
  const auto& digest = sha256.digest();
  return base64Url(std::string(digest.begin(), digest.end()));
}

Pkce makePkce() {
  // 32 random bytes, base64url: 43 characters of the unreserved set (RFC 7636 section 4.1).
  Pkce p;
  p.verifier = base64Url(randomBytes(32));
  p.challenge = pkceChallenge(p.verifier);
  return p;
}

std::string randomState() { return base64Url(randomBytes(24)); }

std::string authorizeUrl(const Credentials& c, const std::string& redirect_uri,
                         const std::string& state, const std::string& code_challenge,
                         const std::string& prompt) {
  std::string url =
      c.login_url + "/" + c.partner_tenant_id +
      "/oauth2/v2.0/authorize?client_id=" + formEncode(c.client_id) +
      "&response_type=code&redirect_uri=" + formEncode(redirect_uri) +
      "&response_mode=query&scope=" + formEncode(tokenScope(c, Audience::kPartnerCenter, true)) +
      "&state=" + formEncode(state) + "&code_challenge=" + formEncode(code_challenge) +
      "&code_challenge_method=S256";
  if (!prompt.empty()) url += "&prompt=" + formEncode(prompt);
  return url;
}

std::optional<RedirectAnswer> parseRedirect(const std::string& text) {
  std::string s(trim(text));
  if (const size_t hash = s.find('#'); hash != std::string::npos) s.erase(hash);
  std::string query;
  if (const size_t q = s.find('?'); q != std::string::npos)
    query = s.substr(q + 1);
  else if (s.find("://") == std::string::npos && s.find('=') != std::string::npos)
    query = s;  // a bare query
  RedirectAnswer a;
  bool any = false;
  for (const auto& pair : split(query, '&')) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    for (char& ch : value)
      if (ch == '+') ch = ' ';
    std::string decoded;
    try {
      Poco::URI::decode(value, decoded);
    } catch (const Poco::Exception&) {
      continue;
    }
    if (key == "code") a.code = decoded, any = true;
    if (key == "error") a.error = decoded, any = true;
    if (key == "state") a.state = decoded;
    if (key == "error_description") a.error_description = decoded;
  }
  if (!any || (a.code.empty() && a.error.empty())) return std::nullopt;
  return a;
}

Status authCodeLogin(const AuthCodeLoginOptions& o, TokenProvider& tokens, const Clock& clock,
                     Cancellation& cancel, const std::function<void(const std::string&)>& tell) {
  const Timestamp deadline = clock.now() + o.timeout;  // from the start, before any output
  const Credentials& c = tokens.credentials();
  if (c.partner_tenant_id.empty())
    return Status::invalidArgument("no partner tenant id to sign in to");
  if (c.public_client)
    return Status::invalidArgument(
        "a public client signs in with the device code, not the authorization code");
  Poco::Net::ServerSocket listener;
  if (Status s = listenOnLoopback(listener, o.port); !s) return s;
  const int port = listener.address().port();
  const Pkce pkce = makePkce();
  const std::string state = randomState();
  registerRotatingSecret(pkce.verifier);
  Attempt attempt(tokens, "http://localhost:" + std::to_string(port) + "/", state, pkce.verifier,
                  tell);
  tellHowToSignIn(tell, authorizeUrl(c, attempt.redirectUri(), state, pkce.challenge, o.prompt),
                  attempt.redirectUri(), o.paste_fd >= 0);
  PastedInput pasted(o.paste_fd, attempt, tell);
  return waitForAnswer(listener, pasted, attempt, clock, deadline, o.timeout, cancel);
}

}  // namespace cspwatch::msapi
