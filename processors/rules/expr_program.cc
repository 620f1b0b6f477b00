#include "processors/rules/expr_program.h"

#include <algorithm>

namespace processors::rules {
namespace {

double Bool(bool b) { return b ? 1.0 : 0.0; }

}  // namespace

void Program::PushConst(double v) {
  code_.push_back({Op::kConst, static_cast<uint16_t>(consts_.size())});
  consts_.push_back(v);
}

void Program::PushLoad(FeatureId id) {
  code_.push_back({Op::kLoad, id});
  if (std::find(features_.begin(), features_.end(), id) == features_.end()) {
    features_.push_back(id);
  }
}

void Program::Emit(Op op) { code_.push_back({op, 0}); }

double Program::Run(const FeatureCatalog& catalog, const state::CustomerState& s,
                    state::TimeMs now) const {
  double stack[kMaxStackDepth];
  size_t sp = 0;  // the number of values on the stack
  for (const Instr& in : code_) {
    if (in.op == Op::kConst) {
      stack[sp++] = consts_[in.arg];
      continue;
    }
    if (in.op == Op::kLoad) {
      stack[sp++] = catalog.Value(in.arg, s, now);
      continue;
    }
    if (in.op == Op::kNeg || in.op == Op::kNot) {
      double& x = stack[sp - 1];
      x = in.op == Op::kNeg ? -x : Bool(x == 0.0);
      continue;
    }
    const double b = stack[--sp];
    double& a = stack[sp - 1];
    switch (in.op) {
      case Op::kAdd:
        a = a + b;
        break;
      case Op::kSub:
        a = a - b;
        break;
      case Op::kMul:
        a = a * b;
        break;
      case Op::kDiv:
        a = a / b;
        break;
      case Op::kLt:
        a = Bool(a < b);
        break;
      case Op::kLe:
        a = Bool(a <= b);
        break;
      case Op::kGt:
        a = Bool(a > b);
        break;
      case Op::kGe:
        a = Bool(a >= b);
        break;
      case Op::kEq:
        a = Bool(a == b);
        break;
      case Op::kNe:
        a = Bool(a < b || a > b);
        break;  // false with NaN, unlike IEEE !=
      case Op::kAnd:
        a = Bool(a != 0.0 && b != 0.0);
        break;
      case Op::kOr:
        a = Bool(a != 0.0 || b != 0.0);
        break;
      default:
        break;  // unary ops and pushes are handled above
    }
  }
  return sp > 0 ? stack[sp - 1] : 0.0;
}

}  // namespace processors::rules
