// SPDX-License-Identifier: Apache-2.0
#include "rules/binary_ops.h"

#include <cstdint>
#include <memory>
#include <string>

#include "rules/cel_time.h"

namespace cspwatch::rules::nodes {

namespace {

using VK = Value::Kind;

const char* opName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kIn:
      return "in";
  }
  return "?";
}

Value noOverload(BinaryOp op, const Value& a, const Value& b) {
  return Value::error(std::string("no such overload: ") + Value::kindName(a.kind()) + " " +
                      opName(op) + " " + Value::kindName(b.kind()));
}

bool isNumber(const Value& v) { return v.kind() == VK::kInt || v.kind() == VK::kDouble; }
double toDouble(const Value& v) {
  return v.kind() == VK::kInt ? static_cast<double>(v.asInt()) : v.asDouble();
}

// -1, 0, 1; or 2 when the kinds cannot be ordered.
int compare(const Value& a, const Value& b) {
  if (isNumber(a) && isNumber(b)) {
    if (a.kind() == VK::kInt && b.kind() == VK::kInt)
      return a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt();
    double x = toDouble(a), y = toDouble(b);
    return x < y ? -1 : x > y;
  }
  if (a.kind() != b.kind()) return 2;
  switch (a.kind()) {
    case VK::kString: {
      int c = a.asString().compare(b.asString());
      return c < 0 ? -1 : c > 0;
    }
    case VK::kBool:
      return a.asBool() < b.asBool() ? -1 : a.asBool() > b.asBool();
    case VK::kTimestamp:
      return compareTimestamps(a, b);
    case VK::kDuration:
      return a.asDurationNanos() < b.asDurationNanos() ? -1
                                                       : a.asDurationNanos() > b.asDurationNanos();
    default:
      return 2;
  }
}

Value arithmetic(BinaryOp op, const Value& a, const Value& b) {
  int64_t r = 0;
  if (a.kind() == VK::kInt && b.kind() == VK::kInt) {
    int64_t x = a.asInt(), y = b.asInt();
    bool overflow = false;
    switch (op) {
      case BinaryOp::kAdd:
        overflow = __builtin_add_overflow(x, y, &r);
        break;
      case BinaryOp::kSub:
        overflow = __builtin_sub_overflow(x, y, &r);
        break;
      case BinaryOp::kMul:
        overflow = __builtin_mul_overflow(x, y, &r);
        break;
      case BinaryOp::kDiv:
      case BinaryOp::kMod:
        if (y == 0)
          return Value::error(op == BinaryOp::kDiv ? "division by zero" : "modulus by zero");
        if (x == INT64_MIN && y == -1) return Value::error("integer overflow");
        r = op == BinaryOp::kDiv ? x / y : x % y;
        break;
      default:
        break;
    }
    if (overflow) return Value::error("integer overflow");
    return Value::integer(r);
  }
  if (isNumber(a) && isNumber(b) && op != BinaryOp::kMod) {
    double x = toDouble(a), y = toDouble(b);
    switch (op) {
      case BinaryOp::kAdd:
        return Value::real(x + y);
      case BinaryOp::kSub:
        return Value::real(x - y);
      case BinaryOp::kMul:
        return Value::real(x * y);
      case BinaryOp::kDiv:
        return Value::real(x / y);
      default:
        break;
    }
  }
  const VK ka = a.kind(), kb = b.kind();
  if (op == BinaryOp::kAdd) {
    if (ka == VK::kString && kb == VK::kString) return Value::string(a.asString() + b.asString());
    if (ka == VK::kList && kb == VK::kList) {
      ValueList out = a.asList();
      out.insert(out.end(), b.asList().begin(), b.asList().end());
      return Value::list(std::move(out));
    }
    if (ka == VK::kTimestamp && kb == VK::kDuration)
      return timestampPlus(a, b.asDurationNanos(), false);
    if (ka == VK::kDuration && kb == VK::kTimestamp)
      return timestampPlus(b, a.asDurationNanos(), false);
    if (ka == VK::kDuration && kb == VK::kDuration)
      return durationSum(a.asDurationNanos(), b.asDurationNanos(), false);
  }
  if (op == BinaryOp::kSub) {
    if (ka == VK::kTimestamp && kb == VK::kDuration)
      return timestampPlus(a, b.asDurationNanos(), true);
    if (ka == VK::kTimestamp && kb == VK::kTimestamp) return timestampDifference(a, b);
    if (ka == VK::kDuration && kb == VK::kDuration)
      return durationSum(a.asDurationNanos(), b.asDurationNanos(), true);
  }
  return noOverload(op, a, b);
}

class Binary final : public Node {
 public:
  Binary(BinaryOp op, NodePtr l, NodePtr r) : op_(op), l_(std::move(l)), r_(std::move(r)) {}
  Value evalNode(Frame& f) const override {
    Value a = l_->eval(f);
    if (a.isError()) return a;
    Value b = r_->eval(f);
    if (b.isError()) return b;
    // `in`, `+` and `==` walk their list operands: a step per element.
    if (const int64_t n = listLength(a) + listLength(b); n > 0 && !f.charge(n))
      return Frame::outOfStepsError();
    switch (op_) {
      case BinaryOp::kEq:
        return Value::boolean(valuesEqual(a, b));
      case BinaryOp::kNe:
        return Value::boolean(!valuesEqual(a, b));
      case BinaryOp::kIn: {
        if (b.kind() != VK::kList) return noOverload(op_, a, b);
        for (const auto& item : b.asList())
          if (valuesEqual(a, item)) return Value::boolean(true);
        return Value::boolean(false);
      }
      case BinaryOp::kLt:
      case BinaryOp::kLe:
      case BinaryOp::kGt:
      case BinaryOp::kGe: {
        int c = compare(a, b);
        if (c == 2) return noOverload(op_, a, b);
        bool r = op_ == BinaryOp::kLt   ? c < 0
                 : op_ == BinaryOp::kLe ? c <= 0
                 : op_ == BinaryOp::kGt ? c > 0
                                        : c >= 0;
        return Value::boolean(r);
      }
      default:
        return arithmetic(op_, a, b);
    }
  }

 private:
  BinaryOp op_;
  NodePtr l_, r_;
};

}  // namespace

NodePtr binary(BinaryOp op, NodePtr l, NodePtr r) {
  return std::make_unique<Binary>(op, std::move(l), std::move(r));
}

}  // namespace cspwatch::rules::nodes
