#pragma once

// Small file helpers for tests.

#include <string>
#include <vector>

namespace testutil {

std::string ReadFile(const std::string& path);
std::vector<std::string> ReadLines(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace testutil
