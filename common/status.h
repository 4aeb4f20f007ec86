// SPDX-License-Identifier: Apache-2.0
// Expected failures as values, after leveldb's Status and osquery's Expected.
//
// Status is ok() or an error with a stable code and a message for people. Result<T> holds a T or
// an error Status. Both are [[nodiscard]]: an ignored failure is a compile error under -Werror.
// Neither is thread-safe to mutate; both are cheap to move.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace cspwatch {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kIoError,
    kUnavailable,
    kCorruption,
    kAborted,
    kUnauthenticated  // a sign-in only a person can repair (cspwatch auth login)
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status invalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status notFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status ioError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status unauthenticated(std::string msg) {
    return {Code::kUnauthenticated, std::move(msg)};
  }

  bool isOk() const { return code_ == Code::kOk; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same code with another message (adding context, advice).
  Status withMessage(std::string message) const { return {code_, std::move(message)}; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a T, or the Status that explains why there is none. REQUIRES for value(): isOk().
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_pointer_v<T>, "Result<T*> hides ownership; return a value or a handle");

 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Status error) : data_(std::move(error)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).isOk() && "a Result built from a Status must be an error");
  }

  bool isOk() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return isOk(); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T* operator->() const { return &std::get<T>(data_); }
  T* operator->() { return &std::get<T>(data_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  // The error; Status::ok() when there is a value.
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace cspwatch
