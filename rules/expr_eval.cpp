// SPDX-License-Identifier: Apache-2.0
#include "rules/expr_eval.h"

#include <array>
#include <cmath>

#include "rules/cel_time.h"
#include "rules/expr_nodes.h"

namespace cspwatch::rules {

const Value& Frame::outOfStepsError() {
  static const Value kError = Value::error("evaluation stopped: its step budget is spent");
  return kError;
}

Value asCondition(const Value& v) {
  if (v.isBool() || v.isError()) return v;
  return Value::error(std::string("expected a bool, found ") + Value::kindName(v.kind()));
}

namespace nodes {
namespace {

using VK = Value::Kind;

class Literal final : public Node {
 public:
  explicit Literal(Value v) : v_(std::move(v)) {}
  Value evalNode(Frame&) const override { return v_; }

 private:
  Value v_;
};

class Slot final : public Node {
 public:
  explicit Slot(int i) : i_(i) {}
  Value evalNode(Frame& f) const override { return f.slots[i_]; }

 private:
  int i_;
};

Value fieldOf(const Value& obj, int index, const std::string& name) {
  if (obj.isError()) return obj;
  if (obj.kind() != VK::kObject)
    return Value::error("cannot read field '" + name + "' of a " + Value::kindName(obj.kind()));
  const ObjectData& o = obj.asObject();
  if (index < 0) index = o.type->fieldIndex(name);
  if (index < 0 || index >= static_cast<int>(o.fields.size()))
    return Value::error("no such field '" + name + "' on " + o.type->name);
  return o.fields[index];
}

class Select final : public Node {
 public:
  Select(NodePtr obj, int index, std::string name)
      : obj_(std::move(obj)), index_(index), name_(std::move(name)) {}
  Value evalNode(Frame& f) const override { return fieldOf(obj_->eval(f), index_, name_); }

 private:
  NodePtr obj_;
  int index_;
  std::string name_;
};

class SlotSelect final : public Node {
 public:
  SlotSelect(int slot, int index, std::string name)
      : slot_(slot), index_(index), name_(std::move(name)) {}
  Value evalNode(Frame& f) const override {
    const Value& obj = f.slots[slot_];
    if (obj.kind() == VK::kObject && index_ >= 0) {
      const ObjectData& o = obj.asObject();
      if (index_ < static_cast<int>(o.fields.size())) return o.fields[index_];
    }
    return fieldOf(obj, index_, name_);
  }

 private:
  int slot_;
  int index_;
  std::string name_;
};

class Has final : public Node {
 public:
  Has(NodePtr obj, int index, std::string name)
      : obj_(std::move(obj)), index_(index), name_(std::move(name)) {}
  Value evalNode(Frame& f) const override {
    Value obj = obj_->eval(f);
    if (obj.isError()) return obj;
    if (obj.kind() != VK::kObject)
      return Value::error("has(): cannot test field '" + name_ + "' of a " +
                          Value::kindName(obj.kind()));
    Value v = fieldOf(obj, index_, name_);
    if (v.isError()) return v;
    return Value::boolean(!v.isNull());
  }

 private:
  NodePtr obj_;
  int index_;
  std::string name_;
};

class Index final : public Node {
 public:
  Index(NodePtr list, NodePtr pos) : list_(std::move(list)), pos_(std::move(pos)) {}
  Value evalNode(Frame& f) const override {
    Value l = list_->eval(f);
    if (l.isError()) return l;
    Value p = pos_->eval(f);
    if (p.isError()) return p;
    // CEL: a double index with no fraction selects as the int would (lists.textproto).
    if (p.kind() == VK::kDouble && std::trunc(p.asDouble()) == p.asDouble() &&
        std::fabs(p.asDouble()) < 9.2e18)
      p = Value::integer(static_cast<int64_t>(p.asDouble()));
    if (l.kind() != VK::kList || p.kind() != VK::kInt)
      return Value::error(std::string("cannot index a ") + Value::kindName(l.kind()) + " with a " +
                          Value::kindName(p.kind()));
    const auto& items = l.asList();
    if (p.asInt() < 0 || p.asInt() >= static_cast<int64_t>(items.size()))
      return Value::error("index " + std::to_string(p.asInt()) + " out of range for a list of " +
                          std::to_string(items.size()));
    return items[p.asInt()];
  }

 private:
  NodePtr list_, pos_;
};

class List final : public Node {
 public:
  explicit List(std::vector<NodePtr> items) : items_(std::move(items)) {}
  Value evalNode(Frame& f) const override {
    ValueList out;
    out.reserve(items_.size());
    for (const auto& n : items_) {
      Value v = n->eval(f);
      if (v.isError()) return v;
      out.push_back(std::move(v));
    }
    return Value::list(std::move(out));
  }

 private:
  std::vector<NodePtr> items_;
};

class Not final : public Node {
 public:
  explicit Not(NodePtr e) : e_(std::move(e)) {}
  Value evalNode(Frame& f) const override {
    Value v = e_->eval(f);
    if (v.isError()) return v;
    if (!v.isBool())
      return Value::error(std::string("'!' needs a bool, found ") + Value::kindName(v.kind()));
    return Value::boolean(!v.asBool());
  }

 private:
  NodePtr e_;
};

class Negate final : public Node {
 public:
  explicit Negate(NodePtr e) : e_(std::move(e)) {}
  Value evalNode(Frame& f) const override {
    Value v = e_->eval(f);
    switch (v.kind()) {
      case VK::kError:
        return v;
      case VK::kInt:
        if (v.asInt() == INT64_MIN) return Value::error("integer overflow");
        return Value::integer(-v.asInt());
      case VK::kDouble:
        return Value::real(-v.asDouble());
      case VK::kDuration:
        return durationNegate(v.asDurationNanos());
      default:
        return Value::error(std::string("'-' needs a number, found ") + Value::kindName(v.kind()));
    }
  }

 private:
  NodePtr e_;
};

// CEL's commutative logical operators: a decided side wins over an error on the other side.
class And final : public Node {
 public:
  And(NodePtr l, NodePtr r) : l_(std::move(l)), r_(std::move(r)) {}
  Value evalNode(Frame& f) const override {
    Value l = asCondition(l_->eval(f));
    if (l.isBool() && !l.asBool()) return l;
    Value r = asCondition(r_->eval(f));
    if (r.isBool() && !r.asBool()) return r;
    if (l.isError()) return l;
    return r;
  }

 private:
  NodePtr l_, r_;
};

class Or final : public Node {
 public:
  Or(NodePtr l, NodePtr r) : l_(std::move(l)), r_(std::move(r)) {}
  Value evalNode(Frame& f) const override {
    Value l = asCondition(l_->eval(f));
    if (l.isBool() && l.asBool()) return l;
    Value r = asCondition(r_->eval(f));
    if (r.isBool() && r.asBool()) return r;
    if (l.isError()) return l;
    return r;
  }

 private:
  NodePtr l_, r_;
};

class Ternary final : public Node {
 public:
  Ternary(NodePtr c, NodePtr a, NodePtr b) : c_(std::move(c)), a_(std::move(a)), b_(std::move(b)) {}
  Value evalNode(Frame& f) const override {
    Value c = asCondition(c_->eval(f));
    if (c.isError()) return c;
    return c.asBool() ? a_->eval(f) : b_->eval(f);
  }

 private:
  NodePtr c_, a_, b_;
};

class Call final : public Node {
 public:
  Call(const Function* fn, std::vector<NodePtr> args)
      : fn_(fn),
        args_(std::move(args)),
        walks_lists_(fn->name != "size"),
        distinct_(fn->name == "distinct"),
        pairwise_(fn->name == "editDistance") {}
  Value evalNode(Frame& f) const override {
    std::array<Value, 4> values;  // no function takes more (checked at compile time)
    const int n = static_cast<int>(args_.size());
    int64_t walked = 0;  // a step per element of each list argument (join(), string(), ...)
    int64_t text = 0;    // and per kTextBytesPerStep bytes of each string argument
    for (int i = 0; i < n; ++i) {
      values[i] = args_[i]->eval(f);
      if (values[i].isError()) return values[i];
      if (walks_lists_) walked += listLength(values[i]);
      text += textLength(values[i]);
    }
    // editDistance() compares every character of one string with every one of the other: a
    // step per 16 x 16 of them, so two domain names cost about one and two 50 KB texts more
    // than the whole budget.
    if (pairwise_ && n == 2 && values[0].kind() == VK::kString && values[1].kind() == VK::kString)
      text += static_cast<int64_t>(values[0].asString().size() / 16) *
              static_cast<int64_t>(values[1].asString().size() / 16);
    if (walked + text > 0 && !f.charge(walked + text)) return Frame::outOfStepsError();
    Value result = fn_->impl(values.data(), n);
    // Building a string costs as reading one does (join(), string(), replace(), format()), and
    // a list a step per element (split()).
    if (!f.charge(textLength(result) + (distinct_ ? 0 : listLength(result))))
      return Frame::outOfStepsError();
    // distinct() compares each element with those kept so far: about n * kept / 2 comparisons.
    if (distinct_ && !f.charge(walked * listLength(result) / 2)) return Frame::outOfStepsError();
    return result;
  }

 private:
  const Function* fn_;
  std::vector<NodePtr> args_;
  bool walks_lists_;  // size() does not: a list knows its length
  bool distinct_;
  bool pairwise_;
};

class Memo final : public Node {
 public:
  Memo(int index, NodePtr inner) : index_(index), inner_(std::move(inner)) {}
  Value evalNode(Frame& f) const override {
    if (!f.memo_valid[index_]) {
      Value v = inner_->eval(f);
      // A value cut short by the step budget is not kept: the next rule, with a budget of its
      // own, computes it again (and runs out as well if it really is that costly).
      if (f.outOfSteps()) return v;
      f.memo[index_] = std::move(v);
      f.memo_valid[index_] = 1;
    }
    return f.memo[index_];
  }

 private:
  int index_;
  NodePtr inner_;
};

class RegexMatch final : public Node {
 public:
  RegexMatch(NodePtr subject, std::shared_ptr<const Regex> re)
      : subject_(std::move(subject)), re_(std::move(re)) {}
  Value evalNode(Frame& f) const override {
    Value s = subject_->eval(f);
    if (s.isError()) return s;
    if (s.kind() != VK::kString) return errorNoOverload("matches", &s, 1);
    if (!f.charge(textLength(s))) return Frame::outOfStepsError();  // as a function call costs
    return Value::boolean(re_->search(s.asString()));  // linear time, any length (regex.h)
  }

 private:
  NodePtr subject_;
  std::shared_ptr<const Regex> re_;
};

class Comprehend final : public Node {
 public:
  Comprehend(Comprehension kind, NodePtr range, int slot, NodePtr pred, NodePtr transform,
             int index_slot)
      : kind_(kind),
        range_(std::move(range)),
        slot_(slot),
        index_slot_(index_slot),
        pred_(std::move(pred)),
        transform_(std::move(transform)) {}

  Value evalNode(Frame& f) const override {
    Value range = range_->eval(f);
    if (range.isError()) return range;
    if (range.kind() != VK::kList)
      return Value::error(std::string("cannot iterate over a ") + Value::kindName(range.kind()));
    Value saved = f.slots[slot_];  // macros may nest with the same variable name
    Value saved_index = index_slot_ >= 0 ? f.slots[index_slot_] : Value();
    Value result = run(f, range.asList());
    f.slots[slot_] = std::move(saved);
    if (index_slot_ >= 0) f.slots[index_slot_] = std::move(saved_index);
    return result;
  }

 private:
  Value run(Frame& f, const ValueList& items) const {
    Value first_error;
    bool have_error = false;
    int64_t count = 0;
    ValueList out;
    for (size_t i = 0; i < items.size(); ++i) {
      const Value& item = items[i];
      if (!f.charge(1)) return Frame::outOfStepsError();  // stop at once, not after every element
      f.slots[slot_] = item;
      if (index_slot_ >= 0) f.slots[index_slot_] = Value::integer(static_cast<int64_t>(i));
      Value p;
      if (pred_) {
        p = asCondition(pred_->eval(f));
        if (p.isError()) {
          if (!have_error) first_error = p;
          have_error = true;
          continue;
        }
      }
      switch (kind_) {
        case Comprehension::kAll:
          if (!p.asBool()) return Value::boolean(false);
          break;
        case Comprehension::kExists:
          if (p.asBool()) return Value::boolean(true);
          break;
        case Comprehension::kExistsOne:
          if (p.asBool()) ++count;
          break;
        case Comprehension::kFilter:
          if (p.asBool()) out.push_back(item);
          break;
        case Comprehension::kMap:
          if (!pred_ || p.asBool()) {
            Value t = transform_->eval(f);
            if (t.isError()) return t;
            out.push_back(std::move(t));
          }
          break;
      }
    }
    if (have_error) return first_error;
    switch (kind_) {
      case Comprehension::kAll:
        return Value::boolean(true);
      case Comprehension::kExists:
        return Value::boolean(false);
      case Comprehension::kExistsOne:
        return Value::boolean(count == 1);
      default:
        return Value::list(std::move(out));
    }
  }

  Comprehension kind_;
  NodePtr range_;
  int slot_;
  int index_slot_;  // -1: no index variable
  NodePtr pred_, transform_;
};

}  // namespace

NodePtr literal(Value v) { return std::make_unique<Literal>(std::move(v)); }
NodePtr slot(int index) { return std::make_unique<Slot>(index); }
NodePtr select(NodePtr o, int i, std::string n) {
  return std::make_unique<Select>(std::move(o), i, std::move(n));
}
NodePtr dynSelect(NodePtr o, std::string n) {
  return std::make_unique<Select>(std::move(o), -1, std::move(n));
}
NodePtr slotSelect(int slot, int i, std::string n) {
  return std::make_unique<SlotSelect>(slot, i, std::move(n));
}
NodePtr has(NodePtr o, int i, std::string n) {
  return std::make_unique<Has>(std::move(o), i, std::move(n));
}
NodePtr index(NodePtr l, NodePtr p) { return std::make_unique<Index>(std::move(l), std::move(p)); }
NodePtr list(std::vector<NodePtr> items) { return std::make_unique<List>(std::move(items)); }
NodePtr logicalNot(NodePtr e) { return std::make_unique<Not>(std::move(e)); }
NodePtr negate(NodePtr e) { return std::make_unique<Negate>(std::move(e)); }
NodePtr logicalAnd(NodePtr l, NodePtr r) {
  return std::make_unique<And>(std::move(l), std::move(r));
}
NodePtr logicalOr(NodePtr l, NodePtr r) { return std::make_unique<Or>(std::move(l), std::move(r)); }
NodePtr ternary(NodePtr c, NodePtr a, NodePtr b) {
  return std::make_unique<Ternary>(std::move(c), std::move(a), std::move(b));
}
NodePtr call(const Function* fn, std::vector<NodePtr> args) {
  return std::make_unique<Call>(fn, std::move(args));
}
NodePtr memo(int index, NodePtr inner) { return std::make_unique<Memo>(index, std::move(inner)); }
NodePtr regexMatch(NodePtr s, std::shared_ptr<const Regex> re) {
  return std::make_unique<RegexMatch>(std::move(s), std::move(re));
}
NodePtr comprehension(Comprehension kind, NodePtr range, int slot, NodePtr pred, NodePtr transform,
                      int index_slot) {
  return std::make_unique<Comprehend>(kind, std::move(range), slot, std::move(pred),
                                      std::move(transform), index_slot);
}

}  // namespace nodes
}  // namespace cspwatch::rules
