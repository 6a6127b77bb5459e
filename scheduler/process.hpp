// Child processes and signals as awaitables.
//
// Process::spawn starts a child with clone(CLONE_VM | CLONE_VFORK) and exec
// (vfork semantics: nothing of the scheduler is copied) and hears of its exit
// through a pidfd on the loop, with no blocking wait and no SIGCHLD handler;
// `co_await proc.wait()` suspends until it exits and returns how. The Process
// object may be dropped before the child exits: the child keeps running and
// its exit is reaped by the loop, never left a zombie (one still running
// when its loop is destroyed is let go, and reaped only if it has ended).
// While a child runs, the loop is held, so the virtual clock does not jump past
// an exit that is still to come.
//
// `co_await SignalWait(loop, SIGTERM)` suspends until the signal arrives. Its
// handler is installed for as long as the wait is pending.
#pragma once

#include <uv.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/loop.hpp"
#include "scheduler/scope.hpp"

namespace tock {

struct ExitStatus {
    long exit_code = 0;
    int term_signal = 0;  // non-zero if the child was killed by a signal
    bool ok() const noexcept { return exit_code == 0 && term_signal == 0; }
};

struct ProcessOptions {
    std::vector<std::string> argv = {};  // argv[0] is looked up in PATH
    std::optional<std::string> cwd = {};
    std::map<std::string, std::string> env = {};  // added to (and overriding) ours
    std::optional<std::string> stdout_path = {};  // appended; else inherited
    std::optional<std::string> stderr_path = {};  // appended; else inherited
    // Give the child a pipe on file descriptor `message_fd` for one-line
    // messages, read with Process::read_line().
    bool message_pipe = false;
    int message_fd = 3;
    // Start the child in a session (and process group) of its own, so that
    // kill_group() reaches everything it started.
    bool own_group = false;
    // Under the virtual clock, time waits while the child runs (its exit is
    // a real event to come). Not for a child that runs as long as the
    // scheduler, such as a component in a process of its own, whose loop
    // shares the virtual time (scheduler/timesync.hpp).
    bool holds_time = true;
};

class Process {
  public:
    // argv[0] is looked up on the PATH the child gets. Throws
    // std::system_error if the child cannot be started.
    static Process spawn(Loop& loop, const ProcessOptions& opts);
    Process(Process&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    ~Process();

    int pid() const noexcept;
    bool exited() const noexcept;
    // Send a signal; false if the child is already gone.
    bool kill(int signum) noexcept;
    // Send a signal to the child's process group (own_group children).
    bool kill_group(int signum) noexcept;

    // The next line the child wrote to its message pipe (without the
    // newline), or nullopt once the child has exited and every line it wrote
    // before exiting has been read. Lines are never lost to the exit: the
    // pipe is drained when the exit is seen, so a child's last message always
    // comes before read_line() ends. A descendant that keeps the pipe open
    // does not hold the job open.
    class Line {
      public:
        explicit Line(Process& p) : p_(p) {}
        ~Line();
        bool await_ready() const noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept;
        std::optional<std::string> await_resume() const;

      private:
        Process& p_;
        Ready ready_;
    };
    Line read_line() noexcept { return Line(*this); }

    class Wait {
      public:
        explicit Wait(Process& p) : p_(p) {}
        ~Wait();
        bool await_ready() const noexcept { return p_.exited(); }
        void await_suspend(std::coroutine_handle<> h) noexcept;
        ExitStatus await_resume() const noexcept;

      private:
        Process& p_;
        Ready ready_;
    };
    Wait wait() noexcept { return Wait(*this); }

    struct State;
    friend class Loop;
    // Let go of a child still running when its loop is destroyed.
    static void abandon(void* state) noexcept;

  private:
    explicit Process(State* st) : st_(st) {}
    State* st_;
};

// Where execvp would find `name` on `path` (a colon-separated PATH; null for
// execvp's default): `name` itself if it holds a slash, nullopt if no
// directory has it as an executable file. Relative results are made absolute
// against `cwd` (the directory the child will start in), if given.
std::optional<std::string> find_program(const std::string& name, const char* path,
                                        const char* cwd = nullptr);

// The contents of a /proc file of another process (cmdline, stat), or ""
// when it cannot be read. The process may end while it is read, which fails
// the read with ESRCH: an ifstream would throw from inside libstdc++ then,
// so plain read(2) it is.
std::string read_proc_file(const std::string& path);

// Waits for a process that is not this one's child (a job adopted on
// restart) to end: `co_await watch.wait()` returns once it has exited, or at
// once if it was already gone. Like a Process's exit, it is a pidfd on the
// loop: no timer, no SIGCHLD.
class ExitWatch {
  public:
    ExitWatch(Loop& loop, int pid);
    ~ExitWatch();
    ExitWatch(const ExitWatch&) = delete;
    ExitWatch& operator=(const ExitWatch&) = delete;
    Event::Wait wait() { return gone_.wait(); }
    // False if this kernel cannot watch a process it did not start (before
    // Linux 5.3); wait() then returns at once.
    bool supported() const { return supported_; }

  private:
    Event gone_;
    bool supported_ = true;
    int fd_ = -1;
    uv_poll_t* poll_ = nullptr;
};

// Waits until a descriptor it does not own (a terminal, a pipe) is
// readable: `co_await r.wait()`, read what is there without blocking, then
// `r.rearm()` before waiting again. A uv_poll on the loop, stopped between
// a wake-up and the rearm: no polling loop, no thread.
class FdReadable {
  public:
    FdReadable(Loop& loop, int fd);
    ~FdReadable();
    FdReadable(const FdReadable&) = delete;
    FdReadable& operator=(const FdReadable&) = delete;
    Event::Wait wait() { return ready_.wait(); }
    void rearm();

  private:
    Event ready_;
    uv_poll_t* poll_ = nullptr;
};

class SignalWait {
  public:
    SignalWait(Loop& loop, int signum);
    ~SignalWait();
    SignalWait(const SignalWait&) = delete;
    SignalWait& operator=(const SignalWait&) = delete;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept;
    int await_resume() const noexcept { return signum_; }

  private:
    static void on_signal(uv_signal_t* h, int signum);
    Loop& loop_;
    int signum_;
    uv_signal_t* handle_ = nullptr;
    Ready ready_;
};

}  // namespace tock
