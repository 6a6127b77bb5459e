#include "scheduler/process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <string_view>
#include <system_error>

extern char** environ;

namespace tock {

struct Process::State {
    Loop* loop = nullptr;
    int pid = -1;
    std::optional<ExitStatus> status;
    ReadyList waiters;
    bool owned = true;  // a Process object still refers to this state
    bool group = false;

    // The exit: a pidfd becomes readable when the child exits.
    int pidfd = -1;
    uv_poll_t exit_poll{};
    bool exit_closed = true;

    // The message pipe (ProcessOptions::message_fd in the child).
    uv_pipe_t pipe{};
    bool has_pipe = false;
    bool holds_time = true;  // holds the virtual clock while it runs
    bool pipe_open = false;  // not yet closing
    bool pipe_closed = true;
    std::string partial;
    std::deque<std::string> lines;
    bool lines_done = false;
    ReadyList line_waiters;
    char buf[4096];

    void maybe_free() {
        if (!owned && exit_closed && pipe_closed) delete this;
    }
    static void on_exit_close(uv_handle_t* h) {
        auto* s = static_cast<State*>(h->data);
        ::close(s->pidfd);
        s->pidfd = -1;
        s->exit_closed = true;
        s->maybe_free();
    }
    static void on_pipe_close(uv_handle_t* h) {
        auto* s = static_cast<State*>(h->data);
        s->pipe_closed = true;
        s->maybe_free();
    }
    void close_exit_watch() {
        if (pidfd < 0 || uv_is_closing(reinterpret_cast<uv_handle_t*>(&exit_poll))) return;
        uv_poll_stop(&exit_poll);
        uv_close(reinterpret_cast<uv_handle_t*>(&exit_poll), &State::on_exit_close);
    }
    // The pidfd is readable (or its poll failed): reap the child and wake
    // whoever waits for it. A child that cannot be reaped (someone else did)
    // is ended as killed rather than watched forever.
    void on_exit(int poll_status) {
        siginfo_t info{};
        int rc;
        do {
            rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
        } while (rc != 0 && errno == EINTR);
        if (rc == 0 && info.si_pid == 0 && poll_status >= 0) return;  // not yet: spurious
        if (rc == 0 && info.si_pid != 0 && info.si_code == CLD_EXITED) {
            status = ExitStatus{info.si_status, 0};
        } else if (rc == 0 && info.si_pid != 0) {
            status = ExitStatus{0, info.si_status};
        } else {
            status = ExitStatus{0, SIGKILL};  // gone, how unknown
        }
        loop->children_.erase(this);
        if (holds_time) loop->unhold();
        if (has_pipe) finish_pipe();
        while (Ready* r = waiters.pop_front()) loop->post(*r);
        close_exit_watch();
    }
    void take(const char* data, std::size_t n) {
        partial.append(data, n);
        for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
            lines.push_back(partial.substr(0, nl));
            partial.erase(0, nl + 1);
        }
        if (!lines.empty()) wake_readers();
    }
    void wake_readers() {
        while (Ready* r = line_waiters.pop_front()) loop->post(*r);
    }
    // The child has exited: read what it left in the pipe, then stop.
    void finish_pipe() {
        if (pipe_open) {
            uv_os_fd_t fd = -1;
            if (uv_fileno(reinterpret_cast<uv_handle_t*>(&pipe), &fd) == 0) {
                for (;;) {
                    const ssize_t n = ::read(fd, buf, sizeof buf);
                    if (n > 0) {
                        take(buf, static_cast<std::size_t>(n));
                        continue;
                    }
                    if (n < 0 && errno == EINTR) continue;
                    break;  // EOF, or nothing more now (a descendant holds it open)
                }
            }
            close_pipe();
        }
        if (!partial.empty()) lines.push_back(std::exchange(partial, {}));
        lines_done = true;
        wake_readers();
    }
    void close_pipe() {
        if (!pipe_open) return;
        pipe_open = false;
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe));
        uv_close(reinterpret_cast<uv_handle_t*>(&pipe), &State::on_pipe_close);
    }
};

void Process::abandon(void* state) noexcept {
    auto* st = static_cast<State*>(state);
    st->owned = false;  // its Process, if any, must not outlive the loop either
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(st->pid), &info, WEXITED | WNOHANG);  // reap it if done
    st->close_pipe();
    st->close_exit_watch();
}

std::string read_proc_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n < 0) out.clear();  // the process went while it was read
            break;
        }
    }
    ::close(fd);
    return out;
}

std::optional<std::string> find_program(const std::string& name, const char* path,
                                        const char* cwd) {
    auto relative_to_cwd = [&](std::string p) {
        return p.front() == '/' || !cwd ? p : std::string(cwd) + "/" + p;
    };
    if (name.find('/') != std::string::npos) return relative_to_cwd(name);
    const std::string dirs = path ? path : "/bin:/usr/bin";  // execvp's default
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        std::string candidate = relative_to_cwd((dir.empty() ? "." : dir) + "/" + name);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

namespace {

// A descriptor of ours, closed on every path out.
struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

[[noreturn]] void fail(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

// Opened above the standard descriptors and fd 3, close-on-exec, so that the
// child's dup2s onto 1, 2 and 3 cannot clobber one another. (The pipe's goes
// last: a message_fd of 10 or more may land on one already copied.)
int high(int fd, const std::string& what) {
    if (fd < 0) fail(errno, what);
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    const int err = errno;
    ::close(fd);
    if (moved < 0) fail(err, what);
    return moved;
}

int open_append(const std::string& path) {
    return high(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644),
                "open " + path);
}

// What the child does between the clone and the exec. It runs on a stack of
// its own but in the scheduler's memory, with the scheduler suspended
// (CLONE_VFORK), so it makes system calls only: no allocation, no locks.
struct ChildPlan {
    const char* program;
    char** argv;
    char** envp;
    int out, err, pipe;  // -1: inherit (or no pipe)
    int pipe_at;         // the child's descriptor for the pipe
    const char* cwd;     // null: ours
    bool own_session;
    int error = 0;  // set by the child if it could not exec
};

// Not instrumented by AddressSanitizer: its stack is reused by the next
// child without ever being unwound (the exec replaces it), so the stack
// poisoning an instrumented frame leaves would stay behind for the next one.
__attribute__((no_sanitize("address"))) int child_main(void* arg) {
    auto* plan = static_cast<ChildPlan*>(arg);
    // Default dispositions: a handler of ours must never run in the child,
    // and what we ignore (SIGPIPE) the job should not.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0) goto failed;
    if (null == 0 ? ::fcntl(0, F_SETFD, 0) < 0 : ::dup2(null, 0) < 0) goto failed;
    if (plan->out >= 0 && ::dup2(plan->out, 1) < 0) goto failed;
    if (plan->err >= 0 && ::dup2(plan->err, 2) < 0) goto failed;
    // (dup2 onto itself would leave it close-on-exec)
    if (plan->pipe >= 0 && (plan->pipe == plan->pipe_at ? ::fcntl(plan->pipe, F_SETFD, 0)
                                                        : ::dup2(plan->pipe, plan->pipe_at)) < 0)
        goto failed;
    if (plan->cwd && ::chdir(plan->cwd) != 0) goto failed;
    if (plan->own_session && ::setsid() < 0) goto failed;
    {
        const sigset_t none{};  // empty, without a call
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
    }
    ::execve(plan->program, plan->argv, plan->envp);
failed:
    plan->error = errno;  // seen by the parent: the memory is shared
    ::_exit(127);
}

// Children are reaped by us: a SIGCHLD ignored (or SA_NOCLDWAIT) by whoever
// started tock, which exec keeps, would have the kernel reap them first and
// leave their exits unknown. Done before each launch, so that it holds
// whatever changed the disposition since.
void reap_own_children() {
    struct sigaction sa {};
    if (::sigaction(SIGCHLD, nullptr, &sa) != 0) return;
    if (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT)) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGCHLD, &dfl, nullptr);
    }
}

// The stack the child runs on until its exec, one per thread that spawns (the
// thread is suspended while its child uses it).
constexpr std::size_t kChildStack = 64 * 1024;

}  // namespace

Process Process::spawn(Loop& loop, const ProcessOptions& opts) {
    if (opts.argv.empty()) throw std::invalid_argument("Process::spawn: empty argv");

    // Our environment, with opts.env added and overriding: pointers into
    // environ for what is kept, strings of our own for the overrides.
    std::vector<std::string> overrides;
    overrides.reserve(opts.env.size());
    for (const auto& [k, v] : opts.env) overrides.push_back(k + "=" + v);
    std::vector<char*> envp;
    const char* path = nullptr;  // the child's PATH
    for (char** e = environ; *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (!eq) continue;
        const std::string_view key(*e, static_cast<std::size_t>(eq - *e));
        if (std::any_of(opts.env.begin(), opts.env.end(),
                        [&](const auto& kv) { return kv.first == key; }))
            continue;
        if (key == "PATH") path = eq + 1;
        envp.push_back(*e);
    }
    for (auto& o : overrides) {
        if (o.rfind("PATH=", 0) == 0) path = o.c_str() + 5;
        envp.push_back(o.data());
    }
    envp.push_back(nullptr);

    // argv[0] is looked up on the child's PATH, as execvp in the child would.
    const auto program = find_program(opts.argv[0], path, opts.cwd ? opts.cwd->c_str() : nullptr);
    if (!program) fail(ENOENT, "spawn " + opts.argv[0]);
    std::vector<char*> args;
    for (auto& a : opts.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    Fd out(opts.stdout_path ? open_append(*opts.stdout_path) : -1);
    Fd err(opts.stderr_path ? open_append(*opts.stderr_path) : -1);
    Fd pipe_read, pipe_write;
    if (opts.message_pipe) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) fail(errno, "pipe");
        pipe_read.fd = fds[0];
        pipe_write.fd = high(fds[1], "pipe");
    }

    // The child gets /dev/null on stdin, the files (or ours) on stdout and
    // stderr, the pipe's write end on message_fd, default signal dispositions and
    // an empty signal mask, and a session of its own if asked.
    ChildPlan plan{
        program->c_str(), args.data(),   envp.data(),     out.fd,
        err.fd,           pipe_write.fd, opts.message_fd, opts.cwd ? opts.cwd->c_str() : nullptr,
        opts.own_group};
    // vfork semantics: the child shares our memory until it execs, so a
    // launch copies no page tables and leaves no copy-on-write faults behind
    // in the scheduler, and its stack is reused rather than mapped and
    // unmapped (an unmap is a TLB shootdown across every CPU our threads ran
    // on). CLONE_PIDFD hands back the pidfd its exit is watched through.
    // Every signal is blocked across the clone so that no handler of ours
    // runs in the child before it has reset them.
    thread_local std::unique_ptr<char[]> stack(new char[kChildStack]);
    reap_own_children();
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    const int pid = ::clone(&child_main, stack.get() + kChildStack,
                            CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
    const int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) fail(clone_errno, "spawn " + opts.argv[0]);
    // A child we cannot watch (a kernel before 5.3 gives no pollable pidfd)
    // is ended here rather than left unwatched.
    auto give_up = [&](int code, const std::string& why) {
        if (plan.error == 0) ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        if (pidfd >= 0) ::close(pidfd);
        fail(code, why);
    };
    if (plan.error != 0) give_up(plan.error, "spawn " + opts.argv[0]);
    if (pidfd < 0) give_up(ENOSYS, "spawn " + opts.argv[0] + ": no pidfd (tock needs Linux 5.3)");

    auto* st = new State;
    // (a failed uv_poll_init registers nothing, so the state can just go)
    if (const int rc = uv_poll_init(loop.uv(), &st->exit_poll, pidfd); rc != 0) {
        delete st;
        give_up(-rc, "spawn " + opts.argv[0] + ": cannot watch its pidfd (tock needs Linux 5.3)");
    }
    st->loop = &loop;
    st->pid = pid;
    st->group = opts.own_group;
    st->pidfd = pidfd;
    st->exit_closed = false;
    st->exit_poll.data = st;
    uv_poll_start(&st->exit_poll, UV_READABLE, [](uv_poll_t* h, int status, int) {
        static_cast<State*>(h->data)->on_exit(status);
    });
    if (opts.message_pipe) {
        uv_pipe_init(loop.uv(), &st->pipe, 0);
        st->pipe.data = st;
        uv_pipe_open(&st->pipe, pipe_read.release());
        st->has_pipe = st->pipe_open = true;
        st->pipe_closed = false;
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&st->pipe),
            [](uv_handle_t* h, size_t, uv_buf_t* b) {
                auto* s = static_cast<State*>(h->data);
                *b = uv_buf_init(s->buf, sizeof s->buf);
            },
            [](uv_stream_t* h, ssize_t n, const uv_buf_t* b) {
                auto* s = static_cast<State*>(h->data);
                if (n > 0) s->take(b->base, static_cast<std::size_t>(n));
                if (n < 0) s->close_pipe();  // EOF or error: the exit finishes the rest
            });
    } else {
        st->lines_done = true;
    }
    loop.children_.insert(st);
    st->holds_time = opts.holds_time;
    if (opts.holds_time) loop.hold();
    return Process(st);
}

Process::~Process() {
    if (!st_) return;
    st_->owned = false;
    while (st_->waiters.pop_front()) {
    }
    while (st_->line_waiters.pop_front()) {
    }
    if (st_->status) st_->close_pipe();
    st_->maybe_free();
}

int Process::pid() const noexcept {
    return st_->pid;
}
bool Process::exited() const noexcept {
    return st_->status.has_value();
}

// Until its exit is seen the child is not reaped, so its pid is still its own.
bool Process::kill(int signum) noexcept {
    if (exited()) return false;
    return ::kill(st_->pid, signum) == 0;
}

bool Process::kill_group(int signum) noexcept {
    if (exited()) return false;
    if (!st_->group) return kill(signum);
    return ::kill(-st_->pid, signum) == 0;
}
Process::Line::~Line() = default;  // ready_ unlinks itself

bool Process::Line::await_ready() const noexcept {
    return !p_.st_->lines.empty() || p_.st_->lines_done;
}

void Process::Line::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    p_.st_->line_waiters.push_back(ready_);
}

std::optional<std::string> Process::Line::await_resume() const {
    auto& q = p_.st_->lines;
    if (q.empty()) return std::nullopt;
    std::string line = std::move(q.front());
    q.pop_front();
    return line;
}

Process::Wait::~Wait() = default;  // ready_ unlinks itself

void Process::Wait::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    p_.st_->waiters.push_back(ready_);
}

ExitStatus Process::Wait::await_resume() const noexcept {
    return *p_.st_->status;
}

ExitWatch::ExitWatch(Loop& loop, int pid) : gone_(loop) {
    fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd_ < 0) {
        supported_ = errno == ESRCH;
        gone_.set();  // already gone (or no way to watch it: see supported())
        return;
    }
    poll_ = new uv_poll_t;
    uv_poll_init(loop.uv(), poll_, fd_);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* h, int, int) {
        if (auto* self = static_cast<ExitWatch*>(h->data)) {
            uv_poll_stop(h);
            // A child of this process after all (a job started before this
            // process re-executed itself for `tock reload`): reap it, or it
            // stays a zombie. For any other process this finds nothing.
            siginfo_t info{};
            ::waitid(static_cast<idtype_t>(3 /* P_PIDFD */), static_cast<id_t>(self->fd_), &info,
                     WEXITED | WNOHANG);
            self->gone_.set();
        }
    });
}

ExitWatch::~ExitWatch() {
    if (poll_) {
        uv_poll_stop(poll_);
        poll_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(poll_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    }
    if (fd_ >= 0) ::close(fd_);
}

FdReadable::FdReadable(Loop& loop, int fd) : ready_(loop) {
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop.uv(), poll_, fd) != 0) {
        delete poll_;
        poll_ = nullptr;
        throw std::runtime_error("cannot watch descriptor " + std::to_string(fd));
    }
    poll_->data = this;
    rearm();
}

void FdReadable::rearm() {
    ready_.reset();
    uv_poll_start(poll_, UV_READABLE | UV_DISCONNECT, [](uv_poll_t* h, int, int) {
        if (auto* self = static_cast<FdReadable*>(h->data)) {
            uv_poll_stop(h);
            self->ready_.set();
        }
    });
}

FdReadable::~FdReadable() {
    if (!poll_) return;
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
}

SignalWait::SignalWait(Loop& loop, int signum) : loop_(loop), signum_(signum) {}

SignalWait::~SignalWait() {
    if (!handle_) return;
    uv_signal_stop(handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
}

void SignalWait::await_suspend(std::coroutine_handle<> h) noexcept {
    ready_.handle = h;
    handle_ = new uv_signal_t;
    uv_signal_init(loop_.uv(), handle_);
    handle_->data = this;
    uv_signal_start_oneshot(handle_, &SignalWait::on_signal, signum_);
}

void SignalWait::on_signal(uv_signal_t* h, int) {
    auto* self = static_cast<SignalWait*>(h->data);
    self->loop_.post(self->ready_);
}

}  // namespace tock
