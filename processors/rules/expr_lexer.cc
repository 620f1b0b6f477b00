#include "processors/rules/expr_lexer.h"

#include <charconv>
#include <cmath>

#include "fmt/format.h"

namespace processors::rules {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

TokenKind KeywordOr(std::string_view word) {
  if (word == "and") return TokenKind::kAnd;
  if (word == "or") return TokenKind::kOr;
  if (word == "not") return TokenKind::kNot;
  return TokenKind::kIdent;
}

// The length of the number starting at `i`: digits [. digits] [e [+-] digits].
size_t NumberLength(std::string_view text, size_t i) {
  size_t j = i;
  while (j < text.size() && IsDigit(text[j])) ++j;
  if (j < text.size() && text[j] == '.') {
    ++j;
    while (j < text.size() && IsDigit(text[j])) ++j;
  }
  if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
    size_t k = j + 1;
    if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
    if (k < text.size() && IsDigit(text[k])) {
      while (k < text.size() && IsDigit(text[k])) ++k;
      j = k;
    }
  }
  return j - i;
}

// The operator at `i` and its length, or 0 when there is none.
size_t Operator(std::string_view text, size_t i, TokenKind* kind) {
  const char c = text[i];
  const char n = i + 1 < text.size() ? text[i + 1] : '\0';
  switch (c) {
    case '(':
      *kind = TokenKind::kLParen;
      return 1;
    case ')':
      *kind = TokenKind::kRParen;
      return 1;
    case '+':
      *kind = TokenKind::kPlus;
      return 1;
    case '-':
      *kind = TokenKind::kMinus;
      return 1;
    case '*':
      *kind = TokenKind::kStar;
      return 1;
    case '/':
      *kind = TokenKind::kSlash;
      return 1;
    case '<':
      *kind = n == '=' ? TokenKind::kLe : TokenKind::kLt;
      return n == '=' ? 2 : 1;
    case '>':
      *kind = n == '=' ? TokenKind::kGe : TokenKind::kGt;
      return n == '=' ? 2 : 1;
    case '=':
      *kind = TokenKind::kEq;
      return n == '=' ? 2 : 0;
    case '!':
      *kind = TokenKind::kNe;
      return n == '=' ? 2 : 0;
    default:
      return 0;
  }
}

ExprError ErrorAt(std::string_view text, size_t i, std::string message) {
  return {i, std::string(text.substr(i, 1)), std::move(message)};
}

}  // namespace

std::string Describe(const Token& t) {
  if (t.kind == TokenKind::kEnd) return "the end of the expression";
  return fmt::format("'{}'", t.text);
}

Lexed Lex(std::string_view text) {
  Lexed out;
  if (text.size() > kMaxExpressionLength) {
    out.error =
        ExprError{kMaxExpressionLength, "",
                  fmt::format("the expression is longer than {} characters", kMaxExpressionLength)};
    return out;
  }
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    Token t;
    t.offset = i;
    size_t len = 0;
    if (IsDigit(c) || (c == '.' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
      len = NumberLength(text, i);
      t.kind = TokenKind::kNumber;
      const auto r = std::from_chars(text.data() + i, text.data() + i + len, t.number);
      if (r.ec != std::errc() || !std::isfinite(t.number) ||
          (i + len < text.size() && IsIdentChar(text[i + len]))) {
        const size_t bad = i + len < text.size() ? i + len : i;
        out.error =
            ErrorAt(text, bad, fmt::format("malformed number near '{}'", text.substr(i, len + 1)));
        return out;
      }
    } else if (IsIdentStart(c)) {
      len = 1;
      while (i + len < text.size() && IsIdentChar(text[i + len])) ++len;
      t.kind = KeywordOr(text.substr(i, len));
    } else if ((len = Operator(text, i, &t.kind)) == 0) {
      std::string message = fmt::format("unexpected character '{}'", text.substr(i, 1));
      if (c == '=') message += " (write '==' to compare)";
      if (c == '!') message += " (write '!=' or 'not')";
      if (c == '&' || c == '|') message += " (write 'and' / 'or')";
      out.error = ErrorAt(text, i, std::move(message));
      return out;
    }
    t.text = text.substr(i, len);
    out.tokens.push_back(t);
    i += len;
  }
  out.tokens.push_back(Token{.kind = TokenKind::kEnd, .text = {}, .offset = text.size()});
  return out;
}

}  // namespace processors::rules
