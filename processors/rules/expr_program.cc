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

size_t Program::EmitJump(Op op) {
  code_.push_back({op, 0});
  return code_.size() - 1;
}

double Program::Run(const FeatureCatalog& catalog, const state::CustomerState& s,
                    state::TimeMs now) const {
  double stack[kMaxStackDepth];
  size_t sp = 0;  // the number of values on the stack
  const size_t n = code_.size();
  for (size_t pc = 0; pc < n; ++pc) {
    const Instr& in = code_[pc];
    switch (in.op) {
      case Op::kConst:
        stack[sp++] = consts_[in.arg];
        continue;
      case Op::kLoad:
        stack[sp++] = catalog.Value(in.arg, s, now);
        continue;
      case Op::kNeg:
        stack[sp - 1] = -stack[sp - 1];
        continue;
      case Op::kNot:
        stack[sp - 1] = Bool(stack[sp - 1] == 0.0);
        continue;
      case Op::kAndJump:
      case Op::kOrJump:
        if ((stack[sp - 1] != 0.0) == (in.op == Op::kOrJump)) {
          pc = in.arg - 1;  // the loop's ++pc lands on the target
        } else {
          --sp;
        }
        continue;
      default:
        break;  // binary operators, below
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
      default:
        break;  // unary ops, pushes and jumps are handled above
    }
  }
  return sp > 0 ? stack[sp - 1] : 0.0;
}

}  // namespace processors::rules
