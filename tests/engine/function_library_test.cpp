#include "nimbus/engine/function_library.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using nimbus::engine::FunctionLibrary;
using nimbus::engine::list_function_entries;

std::string fixture(const std::string& name) { return std::string(NIMBUS_FIXTURE_DIR) + "/" + name; }

TEST(FunctionLibraryTest, ListsEntriesWithoutLoading) {
  auto names = list_function_entries(fixture("multi.so"));
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"first", "second"}));
}

TEST(FunctionLibraryTest, OpensAndChecksEntries) {
  auto lib = FunctionLibrary::open(fixture("multi.so"));
  ASSERT_TRUE(lib) << lib.error().message;
  auto second = lib->entry("second");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_STREQ((*second)->name, "second");
  EXPECT_NE((*second)->init, nullptr);
  EXPECT_STREQ((*second)->sdk_version, nimbus::kSdkVersion);

  auto ambiguous = lib->entry("");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().message,
            fixture("multi.so") + ": exports several functions (first, second); name one");
  auto missing = lib->entry("third");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            fixture("multi.so") + ": no function 'third' (it exports: first, second)");
}

TEST(FunctionLibraryTest, TheOnlyFunctionNeedsNoName) {
  auto lib = FunctionLibrary::open(fixture("throws.so"));
  ASSERT_TRUE(lib);
  auto e = lib->entry("");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_STREQ((*e)->name, "fragile");
}

TEST(FunctionLibraryTest, RefusesAnAbiMismatch) {
  auto lib = FunctionLibrary::open(fixture("abi_mismatch.so"));
  ASSERT_TRUE(lib) << lib.error().message;
  auto e = lib->entry("future");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            fixture("abi_mismatch.so") +
                ": function 'future' was built for Nimbus ABI version 999, but this nimbus (SDK " +
                nimbus::kSdkVersion + ") needs ABI version " + std::to_string(nimbus::detail::kAbiVersion) +
                "; rebuild it against this SDK");
}

TEST(FunctionLibraryTest, RefusesANonNimbusLibrary) {
  auto lib = FunctionLibrary::open(fixture("not_nimbus.so"));
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().message, fixture("not_nimbus.so") +
                                     ": not a Nimbus function library (it exports no NIMBUS_FUNCTION entry)");
}

TEST(FunctionLibraryTest, RefusesMissingAndNonElfFiles) {
  auto missing = FunctionLibrary::open("/nonexistent/f.so");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "/nonexistent/f.so: no such file");

  std::string text = testing::TempDir() + "/text.so";
  std::ofstream(text) << "not a library";
  auto not_elf = FunctionLibrary::open(text);
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.error().message, text + ": not a shared library (no ELF header)");

  // An ELF header whose section table points past the end of the file.
  std::string truncated = testing::TempDir() + "/truncated.so";
  {
    std::ifstream in(fixture("throws.so"), std::ios::binary);
    std::string head(64, '\0');
    in.read(head.data(), 64);
    std::ofstream(truncated, std::ios::binary) << head;
  }
  auto bad = FunctionLibrary::open(truncated);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, truncated + ": truncated ELF section table");
}

}  // namespace
