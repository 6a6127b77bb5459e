#include <doctest/doctest.h>
#include <sys/wait.h>

#include <csignal>
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
}
