#include "processors/rules/expr_parser.h"

#include <array>
#include <utility>

#include "fmt/format.h"

namespace processors::rules {
namespace {

enum class Type : uint8_t { kNumber, kBool };

constexpr std::array<std::pair<std::string_view, const char*>, 5> kTimes = {{
    {"last_seen", "days_since_last_event"},
    {"first_seen", "days_since_first_seen"},
    {"segment_entered_at", "days_in_segment"},
    {"first_purchase", "days_since_first_purchase"},
    {"last_purchase", "days_since_last_purchase"},
}};

std::string_view TypeName(Type t) { return t == Type::kBool ? "a condition" : "a number"; }

// Recursive descent over the tokens, emitting postfix code. The first error stops it;
// every Parse* then returns a placeholder type that nobody reads.
class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const FeatureCatalog& catalog)
      : tokens_(tokens), catalog_(catalog) {}

  Compiled Run() {
    const Type t = ParseOr();
    if (!failed() && Peek().kind != TokenKind::kEnd) {
      Fail(Peek(), fmt::format("unexpected {} after a complete expression", Describe(Peek())));
    }
    if (!failed() && t != Type::kBool) {
      Fail(tokens_.front(),
           "the expression must be a condition (for example x >= 3), but it "
           "is a number");
    }
    Compiled out;
    if (failed()) {
      out.error = std::move(error_);
    } else {
      out.program = std::move(program_);
    }
    return out;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool failed() const { return error_.has_value(); }
  void Fail(const Token& at, std::string message) {
    if (!failed()) error_ = ExprError{at.offset, std::string(at.text), std::move(message)};
  }

  void Require(Type got, Type want, const Token& op, std::string_view side) {
    if (!failed() && got != want) {
      Fail(op, fmt::format("{} needs {} on its {}, not {}", Describe(op), TypeName(want), side,
                           TypeName(got)));
    }
  }

  // Tracks the stack depth of the code emitted so far.
  void Depth(int delta, const Token& at) {
    depth_ += delta;
    if (depth_ > static_cast<int>(kMaxStackDepth)) Fail(at, "the expression is too deep");
  }

  void Binary(Op op, Type left, Type right, Type want, const Token& t) {
    Require(left, want, t, "left");
    Require(right, want, t, "right");
    program_.Emit(op);
    Depth(-1, t);
  }

  // `left and right` compiles to: left; kAndJump end; right; end: (likewise `or`).
  template <typename ParseOperand>
  Type ParseLogic(TokenKind kind, Op jump, ParseOperand operand) {
    Type t = operand();
    while (!failed() && Peek().kind == kind) {
      const Token& op = Next();
      Require(t, Type::kBool, op, "left");
      const size_t at = program_.EmitJump(jump);
      Depth(-1, op);
      Require(operand(), Type::kBool, op, "right");
      program_.PatchJump(at);
      t = Type::kBool;
    }
    return t;
  }

  Type ParseOr() {
    return ParseLogic(TokenKind::kOr, Op::kOrJump, [this] { return ParseAnd(); });
  }

  Type ParseAnd() {
    return ParseLogic(TokenKind::kAnd, Op::kAndJump, [this] { return ParseNot(); });
  }

  Type ParseNot() {
    if (Peek().kind != TokenKind::kNot) return ParseComparison();
    const Token& op = Next();
    if (!Enter(op)) return Type::kBool;
    Require(ParseNot(), Type::kBool, op, "right");
    --nesting_;
    program_.Emit(Op::kNot);
    return Type::kBool;
  }

  static std::optional<Op> ComparisonOp(TokenKind k) {
    switch (k) {
      case TokenKind::kLt:
        return Op::kLt;
      case TokenKind::kLe:
        return Op::kLe;
      case TokenKind::kGt:
        return Op::kGt;
      case TokenKind::kGe:
        return Op::kGe;
      case TokenKind::kEq:
        return Op::kEq;
      case TokenKind::kNe:
        return Op::kNe;
      default:
        return std::nullopt;
    }
  }

  Type ParseComparison() {
    const Type left = ParseSum();
    const std::optional<Op> op = ComparisonOp(Peek().kind);
    if (failed() || !op) return left;
    const Token& t = Next();
    Binary(*op, left, ParseSum(), Type::kNumber, t);
    if (!failed() && ComparisonOp(Peek().kind)) {
      Fail(Peek(), fmt::format("comparisons do not chain: {} follows a comparison (join two "
                               "comparisons with 'and')",
                               Describe(Peek())));
    }
    return Type::kBool;
  }

  Type ParseSum() {
    Type t = ParseProduct();
    while (!failed() && (Peek().kind == TokenKind::kPlus || Peek().kind == TokenKind::kMinus)) {
      const Token& op = Next();
      Binary(op.kind == TokenKind::kPlus ? Op::kAdd : Op::kSub, t, ParseProduct(), Type::kNumber,
             op);
      t = Type::kNumber;
    }
    return t;
  }

  Type ParseProduct() {
    Type t = ParseUnary();
    while (!failed() && (Peek().kind == TokenKind::kStar || Peek().kind == TokenKind::kSlash)) {
      const Token& op = Next();
      Binary(op.kind == TokenKind::kStar ? Op::kMul : Op::kDiv, t, ParseUnary(), Type::kNumber, op);
      t = Type::kNumber;
    }
    return t;
  }

  Type ParseUnary() {
    if (Peek().kind != TokenKind::kMinus) return ParsePrimary();
    const Token& op = Next();
    if (!Enter(op)) return Type::kNumber;
    Require(ParseUnary(), Type::kNumber, op, "right");
    --nesting_;
    if (program_.LastIsConst()) {
      program_.NegateLastConst();  // the operand is exactly that constant
    } else {
      program_.Emit(Op::kNeg);
    }
    return Type::kNumber;
  }

  // Counts one level of nesting at `t`; false (and an error) when too deep.
  bool Enter(const Token& t) {
    if (++nesting_ > kMaxNesting) {
      Fail(t, fmt::format("the expression nests more than {} levels deep at {}", kMaxNesting,
                          Describe(t)));
      return false;
    }
    return true;
  }

  Type ParsePrimary() {
    const Token& t = Next();
    switch (t.kind) {
      case TokenKind::kNumber:
        if (program_.const_count() >= UINT16_MAX) {
          Fail(t, "the expression has too many numbers");
          return Type::kNumber;
        }
        program_.PushConst(t.number);
        Depth(1, t);
        return Type::kNumber;
      case TokenKind::kIdent:
        return ParseName(t);
      case TokenKind::kLParen: {
        if (!Enter(t)) return Type::kBool;
        const Type inner = ParseOr();
        --nesting_;
        if (!failed() && Peek().kind != TokenKind::kRParen) {
          Fail(Peek(), fmt::format("expected ')' to close the '(' at offset {}, found {}", t.offset,
                                   Describe(Peek())));
        }
        Next();
        return inner;
      }
      default:
        Fail(t, fmt::format("expected a number, a feature name or '(', found {}", Describe(t)));
        return Type::kNumber;
    }
  }

  Type ParseName(const Token& t) {
    if (Peek().kind == TokenKind::kLParen) {
      if (t.text != "days_since") {
        Fail(t, fmt::format("unknown function {} (the only function is days_since)", Describe(t)));
        return Type::kNumber;
      }
      Next();
      const Token& arg = Next();
      const char* feature = arg.kind == TokenKind::kIdent ? DaysSinceFeature(arg.text) : nullptr;
      if (feature == nullptr) {
        Fail(arg, fmt::format("days_since() takes last_seen, first_seen, segment_entered_at, "
                              "first_purchase or last_purchase, not {}",
                              Describe(arg)));
        return Type::kNumber;
      }
      if (Peek().kind != TokenKind::kRParen) {
        Fail(Peek(),
             fmt::format("expected ')' after days_since({}, found {}", arg.text, Describe(Peek())));
        return Type::kNumber;
      }
      Next();
      Load(*catalog_.Find(feature), t);
      return Type::kNumber;
    }
    const std::optional<FeatureId> id = catalog_.Find(t.text);
    if (!id) {
      Fail(t, fmt::format("unknown feature {} (docs/features.md lists them)", Describe(t)));
      return Type::kNumber;
    }
    Load(*id, t);
    return Type::kNumber;
  }

  void Load(FeatureId id, const Token& t) {
    program_.PushLoad(id);
    Depth(1, t);
  }

  const std::vector<Token>& tokens_;
  const FeatureCatalog& catalog_;
  size_t pos_ = 0;
  int depth_ = 0;    // stack depth of the code so far
  int nesting_ = 0;  // open parentheses, `not`s and unary minuses
  Program program_;
  std::optional<ExprError> error_;
};

}  // namespace

const char* DaysSinceFeature(std::string_view time) {
  for (const auto& [name, feature] : kTimes) {
    if (name == time) return feature;
  }
  return nullptr;
}

Compiled Compile(std::string_view text, const FeatureCatalog& catalog) {
  Lexed lexed = Lex(text);
  if (lexed.error) {
    Compiled out;
    out.error = std::move(lexed.error);
    return out;
  }
  return Parser(lexed.tokens, catalog).Run();
}

}  // namespace processors::rules
