// SPDX-License-Identifier: Apache-2.0
#include "msapi/refresh_token_store.h"

#include <cassert>

#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/redact.h"

namespace cspwatch::msapi {

RefreshTokenStore::RefreshTokenStore(std::string path, Writer write)
    : path_(std::move(path)),
      write_(write ? std::move(write) : [](const std::string& p, const std::string& token) {
        return writeFileAtomically(p, token + "\n", 0600);
      }) {}

Result<RefreshTokenStore::Presented> RefreshTokenStore::presented() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!loaded_) {
    // Read under the lock (a file read, never a network call): the first grants of a scan
    // wait for one read instead of each making its own.
    auto text = readSecretFile(path_, "the refresh token file (refresh_token_file)");
    if (!text)
      return Status::unavailable("no refresh token: " + text.status().message() +
                                 "; run 'cspwatch auth login'");
    current_ = std::move(*text);
    loaded_ = true;
  }
  if (current_.empty())
    return Status::unavailable("the refresh token file is empty; run 'cspwatch auth login'");
  // The newest again among the rotating secrets: a token in use is never forgotten.
  registerRotatingSecret(current_);
  return Presented{current_, generation_};
}

Status RefreshTokenStore::settle(const std::string& token, uint64_t presented_generation) {
  std::unique_lock<std::mutex> lock(mutex_);
  assert(presented_generation <= generation_ && "only a written token is ever presented");
  const uint64_t arrival = ++arrivals_;
  // An answer to a grant that presented an older token than the file's: dropped (header).
  if (presented_generation < generation_) return Status::ok();
  pending_ = Pending{token, arrival};
  return waitSettled(lock, arrival, presented_generation);
}

Status RefreshTokenStore::replace(const std::string& token) {
  std::unique_lock<std::mutex> lock(mutex_);
  // Written by this call itself, once no other write is under way: whatever is pending belongs
  // to the chain the sign-in replaces.
  written_.wait(lock, [this] { return !writing_; });
  pending_ = Pending{token, ++arrivals_};
  return writeNewest(lock);
}

Status RefreshTokenStore::waitSettled(std::unique_lock<std::mutex>& lock, uint64_t arrival,
                                      uint64_t generation) {
  for (;;) {
    if (generation_ > generation) return Status::ok();  // a successor is in the file
    if (failed_through_ >= arrival) return failure_;    // the write that took this one failed
    if (!writing_)
      (void)writeNewest(lock);  // its outcome is read from the state above
    else
      written_.wait(lock);
  }
}

Status RefreshTokenStore::writeNewest(std::unique_lock<std::mutex>& lock) {
  // Called only while an answer waits unsettled, and each one left a pending token that only a
  // successful write (which settles it) clears: there is one to write.
  const Pending newest = *pending_;
  const uint64_t covers = arrivals_;
  writing_ = true;
  lock.unlock();
  const Status written = write_(path_, newest.token);
  lock.lock();
  writing_ = false;
  ++writes_;
  if (written) {
    current_ = newest.token;
    loaded_ = true;
    ++generation_;
    // Anything that arrived during the write answered a grant that presented the token before:
    // a sibling of the one written, dropped as settle() would now drop it.
    pending_.reset();
  } else {
    failed_through_ = covers;
    failure_ = Status::ioError("cannot store the refresh token: " + written.message());
  }
  written_.notify_all();
  return written ? Status::ok() : failure_;
}

uint64_t RefreshTokenStore::writes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return writes_;
}

}  // namespace cspwatch::msapi
