#include "topologies/churn_models.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "fmt/format.h"

namespace topologies {

using processors::churn::ChurnModel;

ops::Result<ChurnModel> LoadChurnModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ops::Status::IoError(fmt::format("cannot open churn model {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ops::Status::IoError(fmt::format("cannot read churn model {}", path));
  auto model = processors::churn::ParseChurnModel(text.str());
  if (!model.ok()) {
    return ops::Status::InvalidArgument(fmt::format("{}: {}", path, model.status().message()));
  }
  return model;
}

std::optional<ChurnModels::Stamp> ChurnModels::StampOf(const std::string& path) {
  std::error_code ec;
  Stamp stamp{.mtime = std::filesystem::last_write_time(path, ec), .size = 0};
  if (!ec) stamp.size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return stamp;
}

ops::Status ChurnModels::Read(File& f) {
  if (f.path.empty()) return ops::Status::Ok();
  f.stamp = StampOf(f.path);  // before reading: a write in between shows as a change
  auto model = LoadChurnModelFile(f.path);
  if (!model.ok()) return model.status();
  f.model = std::make_shared<const ChurnModel>(std::move(model).value());
  return ops::Status::Ok();
}

bool ChurnModels::Changed(const File& f) {
  if (f.path.empty()) return false;
  const auto now = StampOf(f.path);
  return now && now != f.stamp;  // a file gone for now keeps the model
}

ops::Result<std::unique_ptr<ChurnModels>> ChurnModels::Load(
    const processors::churn::ChurnOptions& options) {
  std::unique_ptr<ChurnModels> m(new ChurnModels(options));
  m->purchases_.path = options.model_file;
  m->sessions_.path = options.session_model_file;
  ENGAGED_RETURN_IF_ERROR(Read(m->purchases_));
  ENGAGED_RETURN_IF_ERROR(Read(m->sessions_));
  m->scorer_ = std::make_unique<processors::churn::ChurnScorer>(options, m->purchases_.model,
                                                                m->sessions_.model);
  return m;
}

ops::Result<bool> ChurnModels::ReloadChanged() {
  bool changed = false;
  for (File* f : {&purchases_, &sessions_}) {
    if (!Changed(*f)) continue;
    File next = *f;
    const ops::Status read = Read(next);
    // On failure remember this version's stamp, so the error is reported once per change.
    f->stamp = next.stamp;
    if (!read.ok()) return read;
    *f = std::move(next);
    changed = true;
  }
  if (changed) {
    scorer_ = std::make_unique<processors::churn::ChurnScorer>(options_, purchases_.model,
                                                               sessions_.model);
  }
  return changed;
}

}  // namespace topologies
