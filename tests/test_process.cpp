#include <doctest/doctest.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scheduler/process.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using namespace std::chrono_literals;

TEST_SUITE("process") {
    TEST_CASE("a child's exit code and output come back through the loop") {
        Loop loop;
        const std::string out = "/tmp/tock-test-" + std::to_string(::getpid()) + "-proc.out";
        std::remove(out.c_str());
        ProcessOptions o;
        o.argv = {"sh", "-c", "echo \"hello $WHO\"; exit 3"};
        o.env = {{"WHO", "tock"}};
        o.stdout_path = out;
        auto st = run_until(loop, [](Loop& l, ProcessOptions o) -> Task<ExitStatus> {
            Process p = Process::spawn(l, o);
            CHECK(p.pid() > 0);
            co_return co_await p.wait();
        }(loop, o));
        CHECK(st.exit_code == 3);
        CHECK(st.term_signal == 0);
        std::ifstream in(out);
        std::stringstream ss;
        ss << in.rdbuf();
        CHECK(ss.str() == "hello tock\n");
        std::remove(out.c_str());
    }

    TEST_CASE("lines on the message pipe all arrive, in order, before the end") {
        Loop loop;
        // The last lines are written just before exit, and a background
        // descendant keeps the pipe open long after: the reader must still
        // end at the exit, with every line.
        auto got = run_until(loop, [](Loop& l) -> Task<std::vector<std::string>> {
            Process p = Process::spawn(
                l,
                {.argv = {"bash", "-c",
                          "for i in $(seq 1 500); do echo \"line $i\" >&3; done; "
                          "sleep 30 >/dev/null 2>&1 & printf 'last without newline' >&3; exit 4"},
                 .message_pipe = true,
                 .own_group = true});
            std::vector<std::string> lines;
            while (auto line = co_await p.read_line()) lines.push_back(*line);
            const ExitStatus st = co_await p.wait();
            CHECK(st.exit_code == 4);
            CHECK_FALSE(p.kill_group(SIGKILL));  // the child is gone...
            ::kill(-p.pid(), SIGKILL);           // ... but not its background sleep
            co_return lines;
        }(loop));
        REQUIRE(got.size() == 501);
        CHECK(got[0] == "line 1");
        CHECK(got[499] == "line 500");
        CHECK(got[500] == "last without newline");
    }

    TEST_CASE("the message pipe lands on the descriptor asked for") {
        Loop loop;
        // Two ways of landing there: copied onto 10 after job.out and
        // job.err have taken their descriptors (as job_submit launches), and
        // asked for the very descriptor the pipe has, when it must still
        // reach the child rather than be closed by the exec. Descriptors go
        // lowest first: doing what spawn does finds the one it will get.
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        const int same = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
        ::close(fds[0]);
        ::close(fds[1]);
        ::close(same);
        const std::string out = "/tmp/tock-test-" + std::to_string(::getpid()) + "-fd.out";
        for (const bool files : {true, false}) {
            const int at = files ? 10 : same;
            CAPTURE(at);
            auto got = run_until(
                loop,
                [](Loop& l, int at, bool files, std::string out) -> Task<std::vector<std::string>> {
                    const std::string fd = std::to_string(at);
                    ProcessOptions o{.argv = {"bash", "-c",
                                              "echo ours >&" + fd + "; echo out; echo err >&2; " +
                                                  "{ echo three >&3; } 2>/dev/null; exit 0"},
                                     .message_pipe = true,
                                     .message_fd = at};
                    if (files) o.stdout_path = o.stderr_path = out;
                    Process p = Process::spawn(l, o);
                    std::vector<std::string> lines;
                    while (auto line = co_await p.read_line()) lines.push_back(*line);
                    CHECK((co_await p.wait()).exit_code == 0);
                    co_return lines;
                }(loop, at, files, out));
            CHECK(got == std::vector<std::string>{"ours"});
        }
        std::ifstream in(out);
        std::stringstream ss;
        ss << in.rdbuf();
        CHECK(ss.str() == "out\nerr\n");
        std::remove(out.c_str());
    }

    TEST_CASE("kill_group reaches the child's own children") {
        Loop loop;
        const std::string pidfile = "/tmp/tock-test-" + std::to_string(::getpid()) + "-grand.pid";
        std::remove(pidfile.c_str());
        auto st = run_until(loop, [](Loop& l, std::string pidfile) -> Task<ExitStatus> {
            Process p = Process::spawn(
                l,
                {.argv = {"bash", "-c", "sleep 60 & echo $! >" + pidfile + "; echo up >&3; wait"},
                 .message_pipe = true,
                 .own_group = true});
            CHECK(co_await p.read_line() == std::optional<std::string>("up"));
            CHECK(p.kill_group(SIGTERM));
            co_return co_await p.wait();
        }(loop, pidfile));
        CHECK(st.term_signal == SIGTERM);
        std::ifstream in(pidfile);
        int grandchild = 0;
        in >> grandchild;
        REQUIRE(grandchild > 0);
        // The grandchild got the signal too: it is gone, or a zombie waiting
        // for init to reap it.
        auto gone_or_zombie = [](int pid) {
            std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
            std::string pid_s, comm, state;
            if (!(stat >> pid_s >> comm >> state)) return true;
            return state == "Z";
        };
        bool gone = false;
        for (int i = 0; i < 100 && !gone; ++i) {
            gone = gone_or_zombie(grandchild);
            if (!gone) ::usleep(10000);
        }
        CHECK(gone);
        std::remove(pidfile.c_str());
    }

    TEST_CASE("a killed child reports its signal") {
        Loop loop;
        auto st = run_until(loop, [](Loop& l) -> Task<ExitStatus> {
            Process p = Process::spawn(l, {.argv = {"sleep", "60"}});
            CHECK(p.kill(SIGKILL));
            co_return co_await p.wait();
        }(loop));
        CHECK(st.term_signal == SIGKILL);
        CHECK_FALSE(st.ok());
    }

    TEST_CASE("a program that does not exist is a clear error") {
        Loop loop;
        CHECK_THROWS_AS(Process::spawn(loop, {.argv = {"/no/such/program-tock"}}),
                        std::system_error);
    }

    TEST_CASE("the virtual clock does not jump past a running child") {
        Loop loop(ClockMode::virtual_time);
        const TimePoint t0 = loop.clock().now();
        // The child takes real time; a virtual one-hour timer must not fire first.
        auto first = run_until(loop, [](Loop& l) -> Task<std::string> {
            std::string winner;
            Scope s(l);
            s.spawn([](Loop& l, std::string& w) -> Task<void> {
                Process p = Process::spawn(l, {.argv = {"sh", "-c", "sleep 0.05"}});
                co_await p.wait();
                if (w.empty()) w = "child";
            }(l, winner));
            s.spawn([](Loop& l, std::string& w) -> Task<void> {
                co_await test::Yield(l);
                co_await l.clock().sleep_for(1h);
                if (w.empty()) w = "timer";
            }(l, winner));
            co_await s.join();
            co_return winner;
        }(loop));
        CHECK(first == "child");
        CHECK(loop.clock().now() - t0 == Duration(1h));
    }

    TEST_CASE("a signal wakes its waiter") {
        Loop loop;
        int sig = test::run_guarded(
            loop,
            [](Loop& l) -> Task<int> {
                Scope s(l);
                s.spawn([]() -> Task<void> {
                    ::raise(SIGUSR1);
                    co_return;
                }());
                co_return co_await SignalWait(l, SIGUSR1);
            }(loop),
            30s, "SIGUSR1");
        CHECK(sig == SIGUSR1);
    }

    TEST_CASE("two coroutines can wait for the same child") {
        Loop loop;
        Process p = Process::spawn(loop, {.argv = {"sh", "-c", "exit 7"}});
        std::vector<long> codes;
        test::run_guarded(
            loop,
            [](Loop& l, Process& p, std::vector<long>& codes) -> Task<void> {
                Scope sc(l);
                for (int i = 0; i < 2; ++i) {
                    sc.spawn([](Process& p, std::vector<long>& c) -> Task<void> {
                        ExitStatus st = co_await p.wait();
                        c.push_back(st.exit_code);
                    }(p, codes));
                }
                co_await sc.join();
            }(loop, p, codes),
            30s, "both waiters");
        CHECK(codes == std::vector<long>{7, 7});
    }

    TEST_CASE("a loop destroyed while a dropped child runs lets the child go, without waiting") {
        int pid = 0;
        {
            Loop loop;
            Process p = Process::spawn(loop, {.argv = {"sleep", "1000"}});
            pid = p.pid();
        }
        // Had the loop waited for the child, we would not be here for 1000 s.
        CHECK(::kill(pid, 0) == 0);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }

    TEST_CASE("a child's exit is still seen when whoever started us ignored SIGCHLD") {
        // Ignoring SIGCHLD makes the kernel reap children itself; the
        // scheduler must undo that rather than lose every job's exit.
        struct sigaction ign {
        }, old{};
        ign.sa_handler = SIG_IGN;
        ::sigaction(SIGCHLD, &ign, &old);
        Loop loop;
        auto st = run_until(loop, [](Loop& l) -> Task<ExitStatus> {
            Process p = Process::spawn(l, {.argv = {"sh", "-c", "exit 5"}});
            co_return co_await p.wait();
        }(loop));
        ::sigaction(SIGCHLD, &old, nullptr);
        CHECK(st.exit_code == 5);
        CHECK(st.term_signal == 0);
    }

    TEST_CASE(
        "find_program looks like execvp: executable files only, relative to the child's cwd") {
        const std::string dir = "/tmp/tock-test-" + std::to_string(::getpid()) + "-path";
        std::filesystem::create_directories(dir + "/bin/prog");  // a directory named prog
        std::filesystem::create_directories(dir + "/bin2");
        {
            std::ofstream f(dir + "/bin2/prog");
            f << "#!/bin/sh\n";
        }
        std::filesystem::permissions(dir + "/bin2/prog", std::filesystem::perms::owner_all);
        const std::string path = dir + "/bin:" + dir + "/bin2";
        CHECK(find_program("prog", path.c_str()) == dir + "/bin2/prog");
        CHECK(find_program("prog", "bin2", dir.c_str()) == dir + "/bin2/prog");
        CHECK_FALSE(find_program("prog", (dir + "/bin").c_str()).has_value());
        CHECK(find_program("./x", nullptr, "/srv") == "/srv/./x");
        CHECK(find_program("/bin/sh", nullptr, "/srv") == "/bin/sh");
        std::filesystem::remove_all(dir);
    }

    TEST_CASE("an exit watch wakes when the watched process ends, and at once if it is gone") {
        Loop loop;
        auto woke = run_until(loop, [](Loop& l) -> Task<bool> {
            Process p = Process::spawn(l, {.argv = {"sh", "-c", "sleep 0.1"}});
            ExitWatch watch(l, p.pid());
            CHECK(watch.supported());
            co_await watch.wait();
            // Ended by now: reaped already, or a zombie waiting to be.
            siginfo_t info{};
            const bool ended = p.exited() || (::waitid(P_PID, static_cast<id_t>(p.pid()), &info,
                                                       WEXITED | WNOHANG | WNOWAIT) == 0 &&
                                              info.si_pid == p.pid());
            ExitWatch none(l, 999999999);  // no such process
            co_await none.wait();
            co_return ended;
        }(loop));
        CHECK(woke);
    }

    TEST_CASE("a /proc file of a process that is gone reads as empty, never throws") {
        const std::string self = read_proc_file("/proc/self/cmdline");
        CHECK(self.find("tock_tests") != std::string::npos);
        // A pid that is surely gone: a child that has exited and been reaped.
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        REQUIRE(child > 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(read_proc_file(fmt::format("/proc/{}/cmdline", child)).empty());
        CHECK(read_proc_file(fmt::format("/proc/{}/stat", child)).empty());
    }
}
