// file_exists without polling (triggers/file_watch.hpp): the wait ends when
// the file appears, whether it was there before, appears later, or appears
// under directories that do not exist yet; the watch follows the path down
// as its directories appear. The files are made by a child process, on the
// loop, while the watch waits.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scheduler/process.hpp"
#include "tests/helpers.hpp"
#include "triggers/file_watch.hpp"

using namespace tock;
using namespace std::chrono_literals;
using tock::triggers::FileWatch;
using tock::triggers::nearest_existing_dir;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/tock-watch-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// Waits for `path` while `script` (sh) runs, started once the watch is up;
// returns the directories the watch was on, in order.
std::vector<std::string> watch_while(const std::string& path, const std::string& script) {
    Loop loop;
    std::vector<std::string> seen;
    test::run_guarded(
        loop,
        [](Loop& l, std::string p, std::string s, std::vector<std::string>& dirs) -> Task<void> {
            FileWatch w(l, p);
            Scope side(l);
            side.spawn([](Loop& l, std::string s) -> Task<void> {
                Process proc = Process::spawn(l, {.argv = {"sh", "-c", s}});
                (void)co_await proc.wait();
            }(l, s));
            Scope spy(l);
            spy.spawn([](Loop& l, FileWatch& w, std::vector<std::string>& dirs) -> Task<void> {
                for (;;) {
                    if (!w.watching().empty() && (dirs.empty() || dirs.back() != w.watching()))
                        dirs.push_back(w.watching());
                    co_await l.clock().sleep_for(5ms);
                }
            }(l, w, dirs));
            co_await w.wait();
            spy.cancel();
            co_await side.join();
        }(loop, path, script, seen),
        30s, "the file");
    return seen;
}

}  // namespace

TEST_SUITE("file_watch") {
    TEST_CASE("the nearest existing directory of a path") {
        TempDir d;
        CHECK(nearest_existing_dir(d.path + "/a/b/c.txt") == d.path);
        std::filesystem::create_directories(d.path + "/a/b");
        CHECK(nearest_existing_dir(d.path + "/a/b/c.txt") == d.path + "/a/b");
        CHECK(nearest_existing_dir(d.path + "/a/b/") == d.path + "/a/b");
        CHECK(nearest_existing_dir("/no-such-top-dir-for-tock/x") == "/");
    }

    TEST_CASE("a file that is there already ends the wait at once") {
        TempDir d;
        std::ofstream(d.path + "/ready") << "x";
        Loop loop;
        run_until(loop, [](Loop& l, std::string p) -> Task<void> {
            FileWatch w(l, p);
            co_await w.wait();
            CHECK(w.watching().empty());
        }(loop, d.path + "/ready"));
    }

    TEST_CASE("a file made after the watch starts ends it") {
        TempDir d;
        const auto dirs =
            watch_while(d.path + "/later", fmt::format("sleep 0.2; touch {}/later", d.path));
        REQUIRE_FALSE(dirs.empty());
        CHECK(dirs.front() == d.path);
        CHECK(std::filesystem::exists(d.path + "/later"));
    }

    TEST_CASE("the watch follows the path down as its directories appear") {
        TempDir d;
        const std::string file = d.path + "/a/b/c/obs.txt";
        const auto dirs = watch_while(
            file, fmt::format("sleep 0.2; mkdir {0}/a; sleep 0.2; mkdir {0}/a/b; sleep 0.2; "
                              "mkdir {0}/a/b/c; sleep 0.2; echo x > {1}",
                              d.path, file));
        CHECK(dirs ==
              std::vector<std::string>{d.path, d.path + "/a", d.path + "/a/b", d.path + "/a/b/c"});
    }

    TEST_CASE("directories and the file made at once are all seen") {
        TempDir d;
        const std::string file = d.path + "/x/y/z/obs.txt";
        watch_while(file, fmt::format("mkdir -p {0}/x/y/z && touch {1}", d.path, file));
        CHECK(std::filesystem::exists(file));
    }

    TEST_CASE("a file moved into place is seen") {
        TempDir d;
        watch_while(d.path + "/final",
                    fmt::format("echo x > {0}/tmp; sleep 0.2; mv {0}/tmp {0}/final", d.path));
        CHECK(std::filesystem::exists(d.path + "/final"));
    }
}
