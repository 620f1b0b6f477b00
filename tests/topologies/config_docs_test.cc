// Docs versus code for config keys: docs/configuration.md documents exactly the keys
// that the loader accepts. The doc's contract: in each table headed
// "| key | type | default | meaning |", every row's first cell is one `backticked.key`,
// which that row documents (list items as `segments[].name`, the librdkafka
// pass-through map as `kafka`). KnownConfigKeys() is checked against the loader itself,
// through the "known here" list of its unknown-key errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "topologies/config.h"

namespace topologies {
namespace {

const std::string kDocsDir = std::string(ENGAGED_SOURCE_DIR) + "/docs";
const std::string kDocPath = kDocsDir + "/configuration.md";

// The first-column keys of the key tables of the doc at `path`.
std::set<std::string> DocumentedKeys(const std::string& path = kDocPath) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::set<std::string> keys;
  std::string line;
  bool in_key_table = false;
  while (std::getline(in, line)) {
    if (!line.starts_with("|")) {
      in_key_table = false;
      continue;
    }
    if (line.starts_with("| key | type | default | meaning |")) in_key_table = true;
    if (!in_key_table || line.starts_with("| key ") || line.starts_with("|---")) continue;
    const size_t end = line.find('`', 3);
    if (!line.starts_with("| `") || end == std::string::npos ||
        line.find_first_not_of(' ', end + 1) == std::string::npos ||
        line[line.find_first_not_of(' ', end + 1)] != '|') {
      ADD_FAILURE() << "a key row's first cell must be one `key`: " << line;
      continue;
    }
    keys.insert(line.substr(3, end - 3));
  }
  return keys;
}

std::set<std::string> CodeKeys() {
  const auto keys = KnownConfigKeys();
  return {keys.begin(), keys.end()};
}

TEST(ConfigDocsTest, EveryKeyTheLoaderAcceptsIsDocumented) {
  const std::set<std::string> documented = DocumentedKeys();
  for (const std::string& key : CodeKeys()) {
    EXPECT_TRUE(documented.count(key)) << key << " is accepted but not in docs/configuration.md";
  }
}

TEST(ConfigDocsTest, EveryDocumentedKeyIsAccepted) {
  const std::set<std::string> code = CodeKeys();
  const std::set<std::string> documented = DocumentedKeys();
  EXPECT_GT(documented.size(), 20u);  // the parser found the table
  for (const std::string& key : documented) {
    EXPECT_TRUE(code.count(key)) << key << " is in docs/configuration.md but not accepted";
  }
}

TEST(ConfigDocsTest, KeyTablesInOtherDocsNameOnlyAcceptedKeys) {
  // Other pages (input-formats.md) repeat some keys in the same table shape.
  const std::set<std::string> code = CodeKeys();
  for (const auto& entry : std::filesystem::directory_iterator(kDocsDir)) {
    if (entry.path().extension() != ".md") continue;
    for (const std::string& key : DocumentedKeys(entry.path().string())) {
      EXPECT_TRUE(code.count(key))
          << entry.path().filename() << ": " << key << " is documented but not accepted";
    }
  }
}

// YAML that puts `leaf: 1` inside the map section `section` ("" is the top level).
std::string YamlWithKeyIn(const std::string& section, const std::string& leaf) {
  std::string yaml, indent;
  std::stringstream parts(section);
  std::string part;
  while (!section.empty() && std::getline(parts, part, '.')) {
    if (part == "segments[]") {
      yaml += indent + "segments:\n" + indent + "  - name: s\n";
      indent += "    ";
      continue;
    }
    yaml += indent + part + ":\n";
    indent += "  ";
  }
  return yaml + indent + leaf + ": 1\n";
}

// The keys the loader lists for `section` in its unknown-key error.
std::set<std::string> LoaderKeysIn(const std::string& section) {
  const ConfigLoad load = LoadConfigText(YamlWithKeyIn(section, "zz_unknown"), {});
  const std::string marker = "' (known here: ";
  for (const ConfigError& e : load.errors) {
    const size_t at = e.message.find(marker);
    if (e.message.find("zz_unknown") == std::string::npos || at == std::string::npos) continue;
    std::set<std::string> keys;
    std::stringstream list(e.message.substr(at + marker.size()));
    std::string key;
    while (std::getline(list, key, ',')) {
      key.erase(0, key.find_first_not_of(' '));
      if (key.ends_with(')')) key.pop_back();
      keys.insert(section.empty() ? key : section + "." + key);
    }
    return keys;
  }
  ADD_FAILURE() << "no unknown-key error for section '" << section << "'";
  return {};
}

TEST(ConfigDocsTest, KnownConfigKeysAreExactlyTheKeysOfTheLoader) {
  const std::set<std::string> code = CodeKeys();
  // Every map section: the proper prefixes of the known keys.
  std::set<std::string> sections = {""};
  for (const std::string& key : code) {
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
      sections.insert(key.substr(0, dot));
    }
  }
  for (const std::string& section : sections) {
    for (const std::string& key : LoaderKeysIn(section)) {
      EXPECT_TRUE(code.count(key) || sections.count(key) || sections.count(key + "[]"))
          << key << " is accepted by the loader but missing from KnownConfigKeys()";
    }
  }
  for (const std::string& key : code) {
    const size_t dot = key.rfind('.');
    const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
    EXPECT_TRUE(LoaderKeysIn(section).count(key))
        << key << " is in KnownConfigKeys() but the loader does not accept it";
  }
}

TEST(ConfigDocsTest, TheParserReadsTheTable) {
  // The parser above is what keeps the doc honest; make sure it reads what it claims.
  const std::set<std::string> documented = DocumentedKeys();
  EXPECT_TRUE(documented.count("state.memory_budget_bytes"));
  EXPECT_TRUE(documented.count("segments[].enter"));
  EXPECT_TRUE(documented.count("kafka"));
}

}  // namespace
}  // namespace topologies
