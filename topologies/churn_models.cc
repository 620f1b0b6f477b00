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

ops::Status ChurnModels::Read(File& f) {
  if (f.path.empty()) return ops::Status::Ok();
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(f.path, ec);
  const uintmax_t size = ec ? 0 : std::filesystem::file_size(f.path, ec);
  auto model = LoadChurnModelFile(f.path);
  if (!model.ok()) return model.status();
  f.model = std::make_shared<const ChurnModel>(std::move(model).value());
  if (!ec) {
    f.mtime = mtime;
    f.size = size;
  }
  return ops::Status::Ok();
}

bool ChurnModels::Changed(const File& f) const {
  if (f.path.empty()) return false;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(f.path, ec);
  if (ec) return false;  // gone for now (a rename in progress): keep the model
  const uintmax_t size = std::filesystem::file_size(f.path, ec);
  return !ec && (!f.mtime || *f.mtime != mtime || f.size != size);
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
    if (!read.ok()) {
      // Remember this version of the file, so the error is reported once per change.
      std::error_code ec;
      f->mtime = std::filesystem::last_write_time(f->path, ec);
      f->size = ec ? 0 : std::filesystem::file_size(f->path, ec);
      return read;
    }
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
