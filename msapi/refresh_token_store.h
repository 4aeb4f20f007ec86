// SPDX-License-Identifier: Apache-2.0
// The partner user's rotating refresh token and its file (docs/sources.md#credentials): which
// token a grant presents, and the durable write of the ones Entra answers with, for grants that
// run at once.
//
// Entra answers every refresh-token grant with a new refresh token and does not revoke the one
// presented ("The Microsoft identity platform doesn't revoke old refresh tokens when used to
// fetch new access tokens", learn.microsoft.com/entra/identity-platform/refresh-tokens), so
// several grants may present the same token at once. What must hold, whatever moment a kill -9
// lands on: the file holds one whole token, at least as new as every token ever presented.
//
// The tokens written form a chain. presented() is the token the file holds (read from it at
// first use) and its generation, the number of tokens written before it; a grant presents only
// that one, never an answer not yet durable. settle() takes a grant's answer with the
// generation the grant presented, and numbers it as it arrives (a later arrival: a higher
// number). An answer to a grant that presented the file's token is its successor: it becomes
// the newest pending token, the one the next write takes. An answer to a grant that presented
// an older token is dropped: the file already holds a successor of that token, and Entra issued
// the two in an order the client cannot see (two grants were in flight at once), so only the
// chain says which is newer. Every token written is thus newer, at Entra, than every token
// presented before it.
//
// Writing is a group commit: one writer at a time writes the newest pending token
// (writeFileAtomically: temporary file, fsync, rename, directory fsync, mode 0600), outside the
// lock that arrivals take, and never during a network call; settle() returns once the file
// holds a successor of what its grant presented (its answer or a later one), so N answers that
// arrive together cost one or two writes, not N. A write that fails is an ioError ("cannot
// store the refresh token: ...") for every answer that arrived before it began; the token it
// failed to write stays pending for the next grant's write, and grants keep presenting the file's
// token meanwhile (Entra still accepts it).
//
// Thread-safe. The token file's path must stay what it is for the store's life.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace cspwatch::msapi {

class RefreshTokenStore {
 public:
  // Writes `token` to `path` for good (durable when it returns ok); tests give their own.
  using Writer = std::function<Status(const std::string& path, const std::string& token)>;

  // An empty `write` writes with writeFileAtomically (mode 0600, the token and a newline).
  explicit RefreshTokenStore(std::string path, Writer write = {});

  struct Presented {
    std::string token;
    uint64_t generation = 0;
  };
  // The token a grant presents now, and its generation. kUnavailable (naming `cspwatch auth
  // login`) when the file cannot be read or is empty; read again at the next call then.
  Result<Presented> presented();

  // A grant's answer `token`, to a grant that presented generation `presented_generation`:
  // returns ok once the file holds it or a later successor of what was presented; the
  // ioError of a write that failed to store it otherwise.
  Status settle(const std::string& token, uint64_t presented_generation);

  // The token of a new sign-in (an authorization code, `cspwatch auth login`), written by this
  // call as soon as no other write is under way: it succeeds whatever the file holds, and
  // grants present it from then on. The write's outcome.
  Status replace(const std::string& token);

  // Writes made so far (each one file write with its fsyncs).
  uint64_t writes() const;

 private:
  // Waits, writing when no one else is, until the answer numbered `arrival` to a grant that
  // presented `generation` is settled. `lock` holds mutex_.
  Status waitSettled(std::unique_lock<std::mutex>& lock, uint64_t arrival, uint64_t generation);
  // Writes the newest pending token, with mutex_ released for the write; its outcome.
  Status writeNewest(std::unique_lock<std::mutex>& lock);

  const std::string path_;
  const Writer write_;
  mutable std::mutex mutex_;
  std::condition_variable written_;  // a write ended (well or not)
  bool loaded_ = false;              // current_ holds the file's token
  std::string current_;              // the file's token
  uint64_t generation_ = 0;          // tokens written before current_
  struct Pending {
    std::string token;
    uint64_t arrival = 0;
  };
  std::optional<Pending> pending_;  // the newest successor of current_ not yet written
  uint64_t arrivals_ = 0;           // answers numbered so far
  bool writing_ = false;
  uint64_t failed_through_ = 0;  // the last failed write covered the answers up to this number
  Status failure_;
  uint64_t writes_ = 0;
};

}  // namespace cspwatch::msapi
