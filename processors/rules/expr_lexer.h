#pragma once

// Tokens of the segment expression language (docs/segments.md). The lexer turns the
// whole text into tokens up front, so the parser can look ahead freely.
// Stateless functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace processors::rules {

// Longer expressions are rejected. Unit: characters.
inline constexpr size_t kMaxExpressionLength = 4096;

enum class TokenKind : uint8_t {
  kNumber,
  kIdent,
  kLParen,
  kRParen,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kAnd,
  kOr,
  kNot,
  kEnd,  // after the last token; its offset is the text's length
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // a view into the expression text
  size_t offset = 0;      // of the first character, 0-based
  double number = 0;      // kNumber only
};

// A compile error: where (0-based offset into the text, at most its length) and what.
struct ExprError {
  size_t offset = 0;
  std::string token;    // the offending token's text ("" at the end of the text)
  std::string message;  // names the token
};

// The tokens of `text`, ending with one kEnd; or the first lexical error.
struct Lexed {
  std::vector<Token> tokens;
  std::optional<ExprError> error;
};
Lexed Lex(std::string_view text);

// How a token reads in an error message: 'x', or "the end of the expression".
std::string Describe(const Token& t);

}  // namespace processors::rules
