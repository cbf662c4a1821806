// replay_main.cc — runs a fuzz target's LLVMFuzzerTestOneInput once on every
// file named (directories: every regular file inside, sorted), without
// libFuzzer, so gcc builds replay the seed corpus and every saved crash as a
// regression test. A missing directory is skipped (a target may have no
// regress inputs yet), but no input at all is a failure: every target needs
// a seed corpus. Exit 0 when all ran; a bug shows as a sanitizer report, an
// abort or a crash.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::directory_iterator(argv[i]))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::exists(argv[i], ec)) {
      files.emplace_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<char> buf{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A copy of exactly the input's size, so ASan sees reads past its end.
    auto* data = new std::uint8_t[buf.size() ? buf.size() : 1];
    std::copy(buf.begin(), buf.end(), data);
    LLVMFuzzerTestOneInput(data, buf.size());
    delete[] data;
  }
  std::printf("%zu inputs replayed\n", files.size());
  if (files.empty())
    std::fprintf(stderr, "no inputs: every target needs a seed corpus in tests/fuzz/corpus/<name>/\n");
  return files.empty() ? 1 : 0;
}
