#include "nimbus/engine/function_library.hpp"

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "nimbus/format/text.hpp"

namespace nimbus::engine {
namespace {

namespace fs = std::filesystem;

template <class T>
bool read_at(const std::vector<char>& data, std::uint64_t offset, T& out) noexcept {
  if (offset > data.size() || sizeof(T) > data.size() - offset) return false;
  std::memcpy(&out, data.data() + offset, sizeof(T));
  return true;
}

}  // namespace

Result<std::vector<std::string>> list_function_entries(const fs::path& path) noexcept {
  try {
    const std::string where = path.string();
    std::error_code ec;
    if (!fs::exists(path, ec)) return Error{where + ": no such file"};
    if (!fs::is_regular_file(path, ec)) return Error{where + ": not a regular file"};
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{where + ": cannot read (" + std::strerror(errno) + ")"};
    std::vector<char> data(fs::file_size(path));
    if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) {
      return Error{where + ": cannot read (" + std::strerror(errno) + ")"};
    }

    Elf64_Ehdr eh{};
    if (!read_at(data, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
      return Error{where + ": not a shared library (no ELF header)"};
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_DYN) {
      return Error{where + ": not a 64-bit ELF shared library"};
    }
    std::vector<std::string> names;
    for (std::uint16_t i = 0; i < eh.e_shnum; ++i) {
      Elf64_Shdr sh{};
      if (!read_at(data, eh.e_shoff + static_cast<std::uint64_t>(i) * eh.e_shentsize, sh)) {
        return Error{where + ": truncated ELF section table"};
      }
      if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
      Elf64_Shdr strtab{};
      if (!read_at(data, eh.e_shoff + static_cast<std::uint64_t>(sh.sh_link) * eh.e_shentsize, strtab) ||
          strtab.sh_offset > data.size() || strtab.sh_size > data.size() - strtab.sh_offset) {
        return Error{where + ": corrupt ELF string table"};
      }
      for (std::uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym{};
        if (!read_at(data, sh.sh_offset + off, sym)) return Error{where + ": truncated ELF symbol table"};
        if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
            ELF64_ST_BIND(sym.st_info) == STB_LOCAL || sym.st_name >= strtab.sh_size) {
          continue;
        }
        const char* begin = data.data() + strtab.sh_offset + sym.st_name;
        std::string_view name(begin, strnlen(begin, strtab.sh_size - sym.st_name));
        if (name.starts_with(detail::kEntrySymbolPrefix) && name.size() > detail::kEntrySymbolPrefix.size()) {
          names.emplace_back(name.substr(detail::kEntrySymbolPrefix.size()));
        }
      }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  } catch (const std::exception& e) {
    return Error{path.string() + ": " + e.what()};
  }
}

void FunctionLibrary::Closer::operator()(void* handle) const noexcept {
  if (handle != nullptr) dlclose(handle);
}

Result<FunctionLibrary> FunctionLibrary::open(const fs::path& path) noexcept {
  try {
    auto names = list_function_entries(path);
    if (!names) return names.error();
    if (names->empty()) {
      return Error{path.string() + ": not a Nimbus function library (it exports no NIMBUS_FUNCTION entry)"};
    }
    // A path without a slash would make dlopen search the library path.
    fs::path absolute = fs::absolute(path);
    void* handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      return Error{path.string() + ": cannot load: " + (why != nullptr ? why : "unknown dlopen error")};
    }
    FunctionLibrary lib;
    lib.path_ = path;
    lib.names_ = std::move(*names);
    lib.handle_ = std::shared_ptr<void>(handle, Closer{});
    return lib;
  } catch (const std::exception& e) {
    return Error{path.string() + ": " + e.what()};
  }
}

Result<const detail::FunctionEntry*> FunctionLibrary::entry(std::string_view name) const noexcept {
  try {
    const std::string where = path_.string();
    std::string chosen(name);
    if (chosen.empty()) {
      if (names_.size() != 1) {
        return Error{where + ": exports several functions (" + format::join(names_) + "); name one"};
      }
      chosen = names_.front();
    } else if (std::find(names_.begin(), names_.end(), chosen) == names_.end()) {
      return Error{where + ": no function '" + chosen + "' (it exports: " + format::join(names_) + ")"};
    }
    std::string symbol = std::string(detail::kEntrySymbolPrefix) + chosen;
    void* sym = dlsym(handle_.get(), symbol.c_str());
    if (sym == nullptr) return Error{where + ": symbol " + symbol + " cannot be resolved"};
    using EntryFn = const detail::FunctionEntry* (*)();
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): dlsym returns void*
    auto fn = reinterpret_cast<EntryFn>(sym);
    const detail::FunctionEntry* e = fn();
    if (e == nullptr) return Error{where + ": entry " + symbol + " returned null"};
    // Only the first field is read before the version is known to match.
    std::uint32_t abi = 0;
    std::memcpy(&abi, e, sizeof abi);
    if (abi != detail::kAbiVersion) {
      return Error{where + ": function '" + chosen + "' was built for Nimbus ABI version " +
                   std::to_string(abi) + ", but this nimbus (SDK " + kSdkVersion + ") needs ABI version " +
                   std::to_string(detail::kAbiVersion) + "; rebuild it against this SDK"};
    }
    if (e->entry_size < sizeof(detail::FunctionEntry) || e->handler == nullptr) {
      return Error{where + ": function '" + chosen + "' has a malformed entry"};
    }
    return e;
  } catch (const std::exception& e) {
    return Error{path_.string() + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
