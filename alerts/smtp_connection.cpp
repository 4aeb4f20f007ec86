// SPDX-License-Identifier: Apache-2.0
#include "alerts/smtp_connection.h"

#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/MailStream.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketStream.h>

#include "common/redact.h"
#include "common/text.h"

namespace cspwatch::alerts::smtp {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Connection::Connection(const Poco::Net::StreamSocket& socket)
    : dialog_(std::make_unique<Poco::Net::DialogSocket>(socket)) {}

Reply Connection::read() {
  Reply reply;
  // A reply is at most a few lines (EHLO lists extensions); a server that sends more is not
  // one we want to read forever.
  for (int lines = 0; lines < 100; ++lines) {
    std::string line;
    if (!dialog_->receiveMessage(line))
      throw ProtocolError(lines == 0 ? "the server closed the connection"
                                     : "the server closed the connection mid-reply");
    if (line.size() < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
      throw ProtocolError("not an SMTP reply: '" + outsideText(line, 80) + "'");
    const int code = std::stoi(line.substr(0, 3));
    if (lines > 0 && code != reply.code)
      throw ProtocolError("inconsistent reply codes " + std::to_string(reply.code) + " and " +
                          std::to_string(code));
    reply.code = code;
    if (line.size() > 4) {
      if (!reply.text.empty()) reply.text += ' ';
      reply.text += std::string(trim(line.substr(4)));
    }
    lines_.push_back(line.size() > 4 ? line.substr(4) : "");
    if (line.size() == 3 || line[3] == ' ') {
      // The server's words, quoted in what we report: outside text (a server may echo what
      // we sent it, such as the AUTH line).
      reply.text = outsideText(reply.text);
      return reply;
    }
  }
  throw ProtocolError("reply longer than 100 lines");
}

Reply Connection::command(const std::string& line) {
  lines_.clear();
  dialog_->sendMessage(line);
  return read();
}

void Connection::startTls(const std::string& host, Poco::Net::Context::Ptr context,
                          const Poco::Timespan& timeout) {
  Poco::Net::SecureStreamSocket secure =
      Poco::Net::SecureStreamSocket::attach(*dialog_, host, context);
  secure.setReceiveTimeout(timeout);
  secure.setSendTimeout(timeout);
  dialog_ = std::make_unique<Poco::Net::DialogSocket>(secure);
}

Reply Connection::sendData(const std::string& crlf_body) {
  lines_.clear();
  Poco::Net::SocketOutputStream socket_out(*dialog_);
  Poco::Net::MailOutputStream mail_out(socket_out);
  mail_out.write(crlf_body.data(), static_cast<std::streamsize>(crlf_body.size()));
  mail_out.close();  // the final CRLF if missing, then ".\r\n"
  socket_out.flush();
  // Socket errors inside a stream only set badbit.
  if (!mail_out || !socket_out) throw Poco::IOException("sending the message data failed");
  return read();
}

void Connection::quit() noexcept {
  try {
    command("QUIT");
  } catch (...) {  // the message's fate is decided; a lost QUIT changes nothing
  }
  close();
}

void Connection::close() noexcept {
  try {
    dialog_->close();
  } catch (...) {  // already closed or broken
  }
}

bool Capabilities::offers(const std::string& mechanism) const {
  for (const auto& m : auth_mechanisms)
    if (m == mechanism) return true;
  return false;
}

Capabilities capabilitiesOf(const std::vector<std::string>& ehlo_lines) {
  Capabilities caps;
  // The first line is the server's name, the others one extension each ("AUTH LOGIN PLAIN").
  for (size_t i = 1; i < ehlo_lines.size(); ++i) {
    std::string line = toLowerAscii(ehlo_lines[i]);
    for (char& c : line)
      if (c == '=') c = ' ';  // "AUTH=LOGIN PLAIN", an old form some servers still send
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "starttls") caps.starttls = true;
    if (keyword == "auth") {
      caps.auth = true;
      for (std::string m; words >> m;) caps.auth_mechanisms.push_back(m);
    }
  }
  return caps;
}

}  // namespace cspwatch::alerts::smtp
