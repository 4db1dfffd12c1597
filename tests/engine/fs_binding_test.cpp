// The `fs` binding kind: objects as files under a root directory, put atomically, keys that
// cannot leave the root.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "nimbus/engine/binding_registry.hpp"

namespace {

namespace fs = std::filesystem;
using nimbus::ObjectStore;
using nimbus::engine::BindingRegistry;
using nimbus::engine::BindingSpec;

// A fresh directory under the test's temporary one.
fs::path fresh(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / ("fs_binding_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

std::shared_ptr<nimbus::Binding> open_fs(const fs::path& base, const std::string& path) {
  BindingRegistry r;
  nimbus::engine::register_builtin_bindings(r);
  auto b =
      r.make(BindingSpec{.name = "files", .kind = "fs", .path = path, .base_dir = base, .origin = "test"});
  EXPECT_TRUE(b) << b.error().message;
  return b ? *b : nullptr;
}

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FsBindingTest, ObjectsAreFilesUnderTheRootListedByPrefix) {
  const fs::path base = fresh("files");
  auto b = open_fs(base, "store");  // relative to where it was declared, made if absent
  ASSERT_TRUE(b);
  EXPECT_EQ(b->interfaces(), "objects");
  auto& store = dynamic_cast<ObjectStore&>(*b);
  const std::string png("\x89PNG\r\n\x1a\n\0\xff", 10);
  store.put("cats/1.png", png);
  store.put("cats/2.png", "two");
  store.put("cats/big/3.png", "three");
  store.put("dogs/1.png", "dog");
  store.put("top", "level");
  EXPECT_EQ(file_text(base / "store/cats/1.png"), png) << "an object is its file, byte for byte";
  EXPECT_EQ(store.get("cats/1.png"), png);
  EXPECT_FALSE(store.get("cats/none.png"));
  EXPECT_FALSE(store.get("cats")) << "a prefix of keys is not an object";
  EXPECT_FALSE(store.get("top/below")) << "below an object there is nothing";
  EXPECT_EQ(store.list("cats/"), (std::vector<std::string>{"cats/1.png", "cats/2.png", "cats/big/3.png"}));
  EXPECT_EQ(store.list("cats/b"), (std::vector<std::string>{"cats/big/3.png"}));
  EXPECT_EQ(store.list("c"), (std::vector<std::string>{"cats/1.png", "cats/2.png", "cats/big/3.png"}));
  EXPECT_EQ(store.list().size(), 5U);
  EXPECT_TRUE(store.list("fish/").empty());

  store.put("cats/2.png", "replaced");
  EXPECT_EQ(store.get("cats/2.png"), "replaced");
  EXPECT_TRUE(store.remove("cats/big/3.png"));
  EXPECT_FALSE(store.remove("cats/big/3.png"));
  EXPECT_FALSE(fs::exists(base / "store/cats/big")) << "the directory the key made goes with it";
  EXPECT_TRUE(fs::exists(base / "store/cats"));
  EXPECT_FALSE(store.remove("cats")) << "a prefix is not an object to remove";
  EXPECT_THROW(store.put("cats", "x"), nimbus::BindingError);
}

TEST(FsBindingTest, LargeObjectsStreamInPiecesAndAFailedPutLeavesTheOldOne) {
  const fs::path base = fresh("stream");
  auto b = open_fs(base, base.string() + "/abs");  // an absolute path is taken as it is
  ASSERT_TRUE(b);
  auto& store = dynamic_cast<ObjectStore&>(*b);
  const std::size_t size = 5 * 1024 * 1024 + 3;
  std::size_t given = 0;
  store.write("films/big.bin", [&](std::span<char> room) {
    const std::size_t n = std::min(room.size(), size - given);
    for (std::size_t i = 0; i < n; ++i) room[i] = static_cast<char>((given + i) % 251);
    given += n;
    return n;
  });
  EXPECT_EQ(fs::file_size(base / "abs/films/big.bin"), size);
  std::size_t seen = 0, pieces = 0, largest = 0;
  bool in_order = true;
  EXPECT_TRUE(store.read("films/big.bin", [&](std::string_view piece) {
    for (std::size_t i = 0; i < piece.size(); ++i)
      in_order &= piece[i] == static_cast<char>((seen + i) % 251);
    seen += piece.size();
    largest = std::max(largest, piece.size());
    ++pieces;
  }));
  EXPECT_EQ(seen, size);
  EXPECT_TRUE(in_order);
  EXPECT_GT(pieces, 10U);
  EXPECT_LE(largest, 64U * 1024) << "never the whole object at once";

  store.put("doc.txt", "old");
  int calls = 0;
  EXPECT_THROW(store.write("doc.txt",
                           [&](std::span<char> room) -> std::size_t {
                             if (++calls > 2) throw std::runtime_error("the upload broke off");
                             room[0] = 'n';
                             return 1;
                           }),
               std::runtime_error);
  EXPECT_EQ(store.get("doc.txt"), "old");
  EXPECT_EQ(store.list(), (std::vector<std::string>{"doc.txt", "films/big.bin"}))
      << "no temporary file is left";
  for (const auto& e : fs::recursive_directory_iterator(base / "abs"))
    EXPECT_EQ(e.path().filename().string().find(".nimbus-put-"), std::string::npos) << e.path();
}

TEST(FsBindingTest, KeysCannotLeaveTheRootAndErrorsNameTheBindingAndKey) {
  const fs::path base = fresh("keys");
  auto b = open_fs(base, "root");
  ASSERT_TRUE(b);
  auto& store = dynamic_cast<ObjectStore&>(*b);
  std::ofstream(base / "secret.txt") << "outside";
  const std::string where = "binding 'files' (fs, " + (base / "root").string() + "): key ";
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "\"\": empty (a key names an object: cats/1.png)"},
      {"../secret.txt", "\"../secret.txt\": a . or .. segment"},
      {"a/../../secret.txt", "\"a/../../secret.txt\": a . or .. segment"},
      {"/etc/passwd", "\"/etc/passwd\": absolute (keys are relative paths: cats/1.png)"},
      {"a//b", "\"a//b\": an empty segment (a//b or a trailing /)"},
      {"a/", "\"a/\": an empty segment (a//b or a trailing /)"},
      {"./a", "\"./a\": a . or .. segment"},
      {std::string("a\0b", 3), "\"a\\u0000b\": a NUL byte"},
      {"x/.nimbus-put-1-2-y", "\"x/.nimbus-put-1-2-y\": the name of a put's temporary file"},
  };
  for (const auto& [key, why] : bad) {
    for (int op = 0; op < 3; ++op) {
      try {
        if (op == 0) (void)store.get(key);
        if (op == 1) store.put(key, "x");
        if (op == 2) (void)store.remove(key);
        ADD_FAILURE() << "key " << why << " was taken";
      } catch (const nimbus::BindingError& e) {
        EXPECT_EQ(e.what(), where + why);
      }
    }
  }
  EXPECT_EQ(file_text(base / "secret.txt"), "outside");
  EXPECT_TRUE(store.list("../").empty());
}

TEST(FsBindingTest, BadRootsAreErrorsNamingTheBinding) {
  const fs::path base = fresh("roots");
  fs::create_directories(base);
  std::ofstream(base / "a-file") << "x";
  BindingRegistry r;
  nimbus::engine::register_builtin_bindings(r);
  auto no_path = r.make(BindingSpec{.name = "files", .kind = "fs", .origin = "--bind files=fs"});
  ASSERT_FALSE(no_path);
  EXPECT_EQ(no_path.error().message,
            "--bind files=fs: spec.dataBindings.files: binding 'files' of kind 'fs' needs a path (the "
            "directory its objects live in)");
  auto on_a_file = r.make(
      BindingSpec{.name = "files", .kind = "fs", .path = "a-file", .base_dir = base, .origin = "f.yaml:3"});
  ASSERT_FALSE(on_a_file);
  EXPECT_TRUE(on_a_file.error().message.starts_with(
      "f.yaml:3: binding 'files' (fs, " + (base / "a-file").string() + "): not a directory it can use"))
      << on_a_file.error().message;
}

// Two processes putting the same key over and over: a reader always sees one of the objects
// whole, never a mix or a torn one.
TEST(FsBindingTest, ConcurrentPutsFromTwoProcessesAreNeverSeenTorn) {
  const fs::path base = fresh("atomic");
  auto b = open_fs(base, "root");
  ASSERT_TRUE(b);
  auto& store = dynamic_cast<ObjectStore&>(*b);
  const std::string a(256 * 1024, 'a'), z(300 * 1024, 'z');
  store.put("shared", a);
  const pid_t child = ::fork();
  if (child == 0) {
    for (int i = 0; i < 200; ++i) store.put("shared", i % 2 == 0 ? z : a);
    ::_exit(0);
  }
  int torn = 0;
  for (int i = 0; i < 200; ++i) {
    auto got = store.get("shared");
    if (!got || (*got != a && *got != z)) ++torn;
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(store.list(), (std::vector<std::string>{"shared"}));
}

}  // namespace
