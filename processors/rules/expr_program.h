#pragma once

// A compiled segment expression: postfix bytecode over doubles, with short-circuit
// jumps for `and` / `or` (a costly feature on the right is not read when the left side
// decides). Feature names were
// resolved to FeatureCatalog ids at compile time, so running a program does no string
// work and no allocation. Booleans are 1.0 / 0.0 on the stack.
//
// NaN (an undefined feature) propagates through + - * /; every comparison with NaN is
// false, including `!=`; `not` of false is true (docs/segments.md).
//
// Built by rules::Compile; immutable afterwards; thread-safe.

#include <cstdint>
#include <span>
#include <vector>

#include "processors/feature_catalog.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors::rules {

// The deepest stack a program may use; Compile rejects deeper expressions.
inline constexpr size_t kMaxStackDepth = 64;

enum class Op : uint8_t {
  kConst,  // push consts[arg]
  kLoad,   // push the value of feature `arg`
  kNeg,    // x -> -x
  kAdd,    // a b -> a + b (likewise kSub, kMul, kDiv)
  kSub,
  kMul,
  kDiv,
  kLt,  // a b -> a < b as 1/0; false when either is NaN (likewise the comparisons)
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kAndJump,  // short-circuit `and`: if the top is false, jump to `arg` keeping it; else pop
  kOrJump,   // short-circuit `or`: if the top is true, jump to `arg` keeping it; else pop
  kNot,
};

struct Instr {
  Op op;
  uint16_t arg = 0;  // kConst: index into consts; kLoad: FeatureId; jumps: target index
};

class Program {
 public:
  // Whether the (boolean) program holds for `s` at `now`.
  bool Holds(const FeatureCatalog& catalog, const state::CustomerState& s,
             state::TimeMs now) const {
    return Run(catalog, s, now) != 0.0;
  }
  // The value left on the stack: 1/0 for a boolean program.
  double Run(const FeatureCatalog& catalog, const state::CustomerState& s, state::TimeMs now) const;

  // The distinct features the program reads, in first-use order.
  std::span<const FeatureId> features() const { return features_; }
  std::span<const Instr> code() const { return code_; }

  // For the compiler, which tracks the stack depth.
  void PushConst(double v);
  void PushLoad(FeatureId id);
  void Emit(Op op);
  // Emits a jump whose target PatchJump sets later; returns its index.
  size_t EmitJump(Op op);
  // Points the jump at `at` to the next instruction to be emitted.
  void PatchJump(size_t at) { code_[at].arg = static_cast<uint16_t>(code_.size()); }
  // Replaces the last instruction's constant by its negation. REQUIRES: it is kConst.
  void NegateLastConst() { consts_[code_.back().arg] = -consts_[code_.back().arg]; }
  bool LastIsConst() const { return !code_.empty() && code_.back().op == Op::kConst; }
  size_t const_count() const { return consts_.size(); }

 private:
  std::vector<Instr> code_;
  std::vector<double> consts_;
  std::vector<FeatureId> features_;
};

}  // namespace processors::rules
