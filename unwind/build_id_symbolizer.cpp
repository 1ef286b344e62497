#include "unwind/build_id_symbolizer.h"

#include <elfutils/libdwfl.h>

#include <optional>

#include "unwind/dwfl_session.h"

namespace ukstack::unwind {

namespace {

std::optional<std::vector<unsigned char>> bytes_of_hex(const std::string& hex) {
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    for (char digit : {hex[i], hex[i + 1]}) {
      value <<= 4;
      if (digit >= '0' && digit <= '9') {
        value |= static_cast<unsigned>(digit - '0');
      } else if (digit >= 'a' && digit <= 'f') {
        value |= static_cast<unsigned>(digit - 'a' + 10);
      } else {
        return std::nullopt;
      }
    }
    bytes.push_back(static_cast<unsigned char>(value));
  }
  return bytes;
}

}  // namespace

BuildIdSymbolizer::BuildIdSymbolizer(
    std::unique_ptr<DwflSession> session, bool inlines,
    std::map<std::pair<std::string, std::string>, std::size_t> indices)
    : session_(std::move(session)),
      symbolizer_(session_->get(), inlines),
      indices_(std::move(indices)) {}

BuildIdSymbolizer::~BuildIdSymbolizer() = default;

Result<std::unique_ptr<BuildIdSymbolizer>> BuildIdSymbolizer::open(
    const std::vector<Module>& modules, const UnwindOptions& options) {
  std::vector<DwflSession::ModuleIdentity> identities;
  std::map<std::pair<std::string, std::string>, std::size_t> indices;
  for (const Module& module : modules) {
    auto bytes = bytes_of_hex(module.build_id);
    if (!bytes) continue;
    auto [it, inserted] = indices.try_emplace({module.build_id, module.path}, identities.size());
    if (inserted) identities.push_back({module.path, std::move(*bytes)});
  }
  auto session =
      DwflSession::open_build_ids(identities, options.debug_dirs, options.debuginfod_budget);
  if (!session) return session.error();
  return std::unique_ptr<BuildIdSymbolizer>(
      new BuildIdSymbolizer(std::move(*session), options.inlines, std::move(indices)));
}

std::vector<UnwoundFrame> BuildIdSymbolizer::describe(const Module& module,
                                                      std::uint64_t module_offset,
                                                      bool is_activation) {
  std::vector<UnwoundFrame> frames;
  auto index = indices_.find({module.build_id, module.path});
  if (index == indices_.end()) return frames;
  Dwfl_Module* dwfl_module =
      dwfl_addrmodule(session_->get(), DwflSession::build_id_module_base(index->second));
  GElf_Addr bias = 0;
  if (dwfl_module == nullptr || dwfl_module_getelf(dwfl_module, &bias) == nullptr) return frames;
  // Where the file's own address lies in the module's made-up place.
  const std::uint64_t pc = module_offset + bias;
  append_frames(symbolizer_.lookup(pc, is_activation), pc, is_activation, frames);
  return frames;
}

}  // namespace ukstack::unwind
