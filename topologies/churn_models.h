#pragma once

// The churn models `engaged run` and `replay` score with: loaded from the files named
// by churn.model_file and churn.session_model_file, and reloaded when a file changes
// (checked at each commit), so a nightly `engaged fit` takes effect without a restart.
// A file that fails to load on reload is logged and counted, and the previous model
// stays in use.
//
// Owned by the Topology; used from the processing thread only.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "ops/status.h"
#include "processors/churn/risk.h"

namespace topologies {

// Reads and parses a model file. Errors: IoError, or InvalidArgument naming the path.
ops::Result<processors::churn::ChurnModel> LoadChurnModelFile(const std::string& path);

class ChurnModels {
 public:
  // Loads both configured models. An error names the file and what is wrong with it.
  static ops::Result<std::unique_ptr<ChurnModels>> Load(
      const processors::churn::ChurnOptions& options);

  // Reloads a model whose file's modification time or size changed. Returns true when
  // the scorer changed; a failed reload keeps the old model and returns its error.
  ops::Result<bool> ReloadChanged();

  const processors::churn::ChurnScorer& scorer() const { return *scorer_; }

 private:
  // What identifies one version of a file.
  struct Stamp {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct File {
    std::string path;            // empty: not configured
    std::optional<Stamp> stamp;  // of the version last read; nullopt when unknown
    std::shared_ptr<const processors::churn::ChurnModel> model;
  };
  explicit ChurnModels(processors::churn::ChurnOptions options) : options_(std::move(options)) {}
  // nullopt when the file cannot be stat'ed (gone for now: a rename in progress).
  static std::optional<Stamp> StampOf(const std::string& path);
  static ops::Status Read(File& f);
  static bool Changed(const File& f);

  processors::churn::ChurnOptions options_;
  File purchases_;
  File sessions_;
  std::unique_ptr<processors::churn::ChurnScorer> scorer_;
};

}  // namespace topologies
