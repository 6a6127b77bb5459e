// The trigger plugin SDK (triggers/plugin.hpp) and the example plugins of
// examples/plugins, each run as the scheduler runs it: a child process with
// the TOCK_PLUGIN_* environment, talking to a ROUTER socket. The ROUTER here
// is a fake scheduler driven by hand, so each test says exactly what the
// scheduler sends and checks what comes back (docs/plugins.md).
//
// A wait for something that must come has a generous limit; a wait for
// something that must not come (a satisfied for an unwatched watch) is
// short, and is ended early by a ping whose pong shows that nothing came
// before it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "triggers/plugin.hpp"

extern char** environ;

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace plugin = tock::plugin;

namespace {

const std::string plugins_dir = TOCK_PLUGINS_DIR;

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/tock-plugin-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// A plugin process, started with this process's environment less any
// TOCK_PLUGIN_* and PATH, plus `env`; its stderr is kept. Killed if still
// running when destroyed.
class Child {
  public:
    Child(const std::string& program, const std::vector<std::string>& env) {
        std::vector<std::string> all;
        for (char** e = environ; *e; ++e) {
            const std::string var = *e;
            if (var.rfind("TOCK_PLUGIN_", 0) != 0 && var.rfind("PATH=", 0) != 0) all.push_back(var);
        }
        // Debian's python3, which has python3-zmq, for the Python plugin's
        // `#!/usr/bin/env python3`.
        all.push_back("PATH=/usr/bin:/bin");
        all.insert(all.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& v : all) envp.push_back(v.data());
        envp.push_back(nullptr);
        std::string arg0 = program;
        char* argv[] = {arg0.data(), nullptr};

        int err[2];
        REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(err[1]);
        err_ = err[0];
        REQUIRE_MESSAGE(rc == 0, "cannot start " << program << ": " << std::strerror(rc));
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(err_);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // The exit status, once the child has exited (its stderr closes then),
    // or nullopt if it is still running after `limit`.
    std::optional<int> exit_status(std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            pollfd p{err_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return std::nullopt;
            char buf[4096];
            const ssize_t n = ::read(err_, buf, sizeof buf);
            if (n > 0) {
                stderr_.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    // What it wrote to stderr, read by exit_status.
    const std::string& stderr_text() const { return stderr_; }

  private:
    pid_t pid_ = -1;
    int err_ = -1;
    std::string stderr_;
};

// The scheduler's side: a ROUTER bound to `endpoint`, with CurveZMQ if a
// secret key is given. Talks to the one plugin that last sent to it.
class FakeScheduler {
  public:
    explicit FakeScheduler(const std::string& endpoint, const std::string& curve_secret = "") {
        router_.set(zmq::sockopt::linger, 0);
        if (!curve_secret.empty()) {
            router_.set(zmq::sockopt::curve_server, 1);
            router_.set(zmq::sockopt::curve_secretkey, curve_secret);
        }
        router_.bind(endpoint);
        endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    }
    const std::string& endpoint() const { return endpoint_; }

    // The next message from the plugin, or nullopt if none comes within `limit`.
    std::optional<json> next(std::chrono::milliseconds limit = 3s) {
        zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, limit) == 0) return std::nullopt;
        zmq::message_t id, body;
        (void)router_.recv(id);
        (void)router_.recv(body);
        peer_ = id.to_string();
        return json::parse(body.to_string_view());
    }
    void send(const json& msg) { send_raw(msg.dump()); }
    void send_raw(const std::string& text) {
        router_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
        router_.send(zmq::buffer(text));
    }
    // Pings with `seq` and requires that the next message is its pong:
    // nothing else was sent before it.
    void ping(int seq) {
        send({{"type", "ping"}, {"seq", seq}});
        const auto pong = next();
        REQUIRE(pong);
        CHECK(*pong == json{{"type", "pong"}, {"seq", seq}});
    }
    // The plugin's register, answered with a welcome.
    json expect_register(const std::string& heartbeat = "PT30S") {
        const auto reg = next();
        REQUIRE_MESSAGE(reg, "the plugin never registered");
        send({{"type", "welcome"}, {"protocol", 1}, {"heartbeat", heartbeat}});
        return *reg;
    }
    void watch(const std::string& id, const std::string& function, const json& kwargs) {
        send({{"type", "watch"},
              {"id", id},
              {"function", function},
              {"args", json::array()},
              {"kwargs", kwargs}});
    }

  private:
    zmq::context_t ctx_;
    zmq::socket_t router_{ctx_, zmq::socket_type::router};
    std::string endpoint_, peer_;
};

// A TCP socket on 127.0.0.1 and a port the system picks, bound but not yet
// listening: a connection to it is refused until listen().
struct Port {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::string number;
    Port() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        number = std::to_string(ntohs(a.sin_port));
    }
    ~Port() { ::close(fd); }
    void listen() { REQUIRE(::listen(fd, 4) == 0); }
};

std::pair<std::string, std::string> curve_keypair() {
    char pub[41], sec[41];
    REQUIRE(zmq_curve_keypair(pub, sec) == 0);
    return {pub, sec};
}

}  // namespace

TEST_SUITE("plugin_sdk") {
    TEST_CASE("durations as the protocol writes them") {
        CHECK(plugin::parse_duration("PT10S") == 10s);
        CHECK(plugin::parse_duration("PT1.5S") == 1500ms);
        CHECK(plugin::parse_duration("PT0,25S") == 250ms);
        CHECK(plugin::parse_duration("P1DT1H2M") == 24h + 1h + 2min);
        CHECK(plugin::parse_duration("P1W") == 168h);
        CHECK_FALSE(plugin::parse_duration("P1M"));  // a month has no fixed length
        CHECK_FALSE(plugin::parse_duration("PT"));
        CHECK_FALSE(plugin::parse_duration("10S"));
        CHECK_FALSE(plugin::parse_duration("PT5"));
        CHECK(plugin::format_duration(10s) == "PT10S");
        CHECK(plugin::format_duration(250ms) == "PT0.25S");
        CHECK(plugin::format_duration(90s) == "PT90S");
    }

    TEST_CASE("port_open: registers, answers pings, satisfies, fails bad watches, stops") {
        TempDir dir;
        FakeScheduler sched("ipc://" + dir.path + "/plugins");
        Child child(plugins_dir + "/tock-trigger-port_open",
                    {"TOCK_PLUGIN_ENDPOINT=" + sched.endpoint(), "TOCK_PLUGIN_NAME=port_open"});
        const json reg = sched.expect_register();
        CHECK(reg["type"] == "register");
        CHECK(reg["name"] == "port_open");
        CHECK(reg["protocol"] == 1);
        CHECK(reg["functions"] == json::array({"port_open"}));
        CHECK(reg["poll_interval"] == "PT1S");
        sched.ping(1);

        Port open, later, dropped;
        open.listen();
        sched.watch("w1", "port_open", {{"host", "127.0.0.1"}, {"port", open.number}});
        auto msg = sched.next();
        REQUIRE(msg);
        CHECK(*msg == json{{"type", "satisfied"},
                           {"id", "w1"},
                           {"results", {{"host", "127.0.0.1"}, {"port", open.number}}}});

        // Refused for now: pending, looked at again every 0.1 s.
        sched.watch("w2", "port_open",
                    {{"host", "127.0.0.1"}, {"port", later.number}, {"every", "PT0.1S"}});
        sched.watch("w3", "port_open",
                    {{"host", "127.0.0.1"}, {"port", dropped.number}, {"every", "PT0.1S"}});
        sched.send({{"type", "unwatch"}, {"id", "w3"}});
        sched.ping(2);
        later.listen();
        dropped.listen();
        msg = sched.next();
        REQUIRE(msg);
        CHECK((*msg)["type"] == "satisfied");
        CHECK((*msg)["id"] == "w2");
        CHECK((*msg)["results"]["port"] == later.number);
        CHECK_FALSE(sched.next(400ms));  // w3 was unwatched: four looks' worth of silence

        sched.watch("w4", "port_open", {{"port", "http"}});
        msg = sched.next();
        REQUIRE(msg);
        CHECK(*msg == json{{"type", "failed"},
                           {"id", "w4"},
                           {"reason", "port_open: port=http is not a port number"}});
        sched.watch("w5", "port_closed", json::object());
        msg = sched.next();
        REQUIRE(msg);
        CHECK((*msg)["type"] == "failed");
        CHECK((*msg)["reason"] ==
              "plugin port_open serves no function port_closed (it serves: port_open)");

        // What does not parse is ignored (and said on stderr); the plugin goes on.
        sched.send_raw("{not json");
        sched.send({{"type", "no_such_type"}});
        sched.ping(3);

        sched.send({{"type", "stop"}});
        CHECK(child.exit_status(2s) == 0);
        CHECK(child.stderr_text().find("ignored a message that is not a JSON object") !=
              std::string::npos);
        CHECK(child.stderr_text().find("ignored a message of unknown type") != std::string::npos);
    }

    TEST_CASE("files (Python): satisfied once enough files match, with count and first") {
        TempDir dir;
        FakeScheduler sched("ipc://" + dir.path + "/plugins");
        Child child(plugins_dir + "/tock-trigger-files",
                    {"TOCK_PLUGIN_ENDPOINT=" + sched.endpoint(), "TOCK_PLUGIN_NAME=files"});
        const json reg = sched.expect_register();
        CHECK(reg["name"] == "files");
        CHECK(reg["functions"] == json::array({"files"}));
        CHECK(reg["poll_interval"] == "PT1S");

        const std::string obs = dir.path + "/obs";  // does not exist yet
        sched.watch("w1", "files", {{"dir", obs}, {"count", "2"}, {"pattern", "*.nc"}});
        sched.watch("w2", "files", {{"dir", obs}, {"count", "1"}});
        sched.send({{"type", "unwatch"}, {"id", "w2"}});
        sched.watch("w3", "files", {{"dir", obs}});
        auto msg = sched.next();
        REQUIRE(msg);
        CHECK(*msg == json{{"type", "failed"},
                           {"id", "w3"},
                           {"reason", "files: dir= and count= are required"}});
        sched.watch("w4", "file", {{"dir", obs}, {"count", "1"}});
        msg = sched.next();
        REQUIRE(msg);
        CHECK((*msg)["reason"] == "plugin files serves no function file (it serves: files)");
        sched.ping(1);

        std::filesystem::create_directories(obs);
        for (const char* name : {"b.nc", ".partial.nc", "notes.txt", "a.nc"})
            std::ofstream(obs + "/" + name) << "x";
        msg = sched.next();
        REQUIRE(msg);
        CHECK(*msg == json{{"type", "satisfied"},
                           {"id", "w1"},
                           {"results", {{"count", "2"}, {"first", obs + "/a.nc"}}}});
        sched.ping(2);  // and nothing for the unwatched w2

        sched.send_raw("[1, 2]");
        sched.send({{"type", "no_such_type"}});
        sched.ping(3);
        sched.send({{"type", "stop"}});
        CHECK(child.exit_status(2s) == 0);
        CHECK(child.stderr_text().find("ignored a message that is not a JSON object of a known "
                                       "type: b'[1, 2]'") != std::string::npos);
        CHECK(child.stderr_text().find("no_such_type") != std::string::npos);
    }

    TEST_CASE("over tcp:// with CurveZMQ keys; a wrong server key never gets through") {
        const auto [server_pub, server_sec] = curve_keypair();
        const auto [client_pub, client_sec] = curve_keypair();
        const auto [stranger_pub, stranger_sec] = curve_keypair();
        for (const char* name : {"port_open", "files"}) {
            CAPTURE(name);
            FakeScheduler sched("tcp://127.0.0.1:*", server_sec);
            Child child(
                plugins_dir + "/tock-trigger-" + name,
                {"TOCK_PLUGIN_ENDPOINT=" + sched.endpoint(), "TOCK_PLUGIN_SERVER_KEY=" + server_pub,
                 "TOCK_PLUGIN_PUBLIC_KEY=" + client_pub, "TOCK_PLUGIN_SECRET_KEY=" + client_sec});
            CHECK(sched.expect_register()["name"] == name);
            sched.ping(1);
            sched.send({{"type", "stop"}});
            CHECK(child.exit_status(2s) == 0);

            Child lost(
                plugins_dir + "/tock-trigger-" + name,
                {"TOCK_PLUGIN_ENDPOINT=" + sched.endpoint(),
                 "TOCK_PLUGIN_SERVER_KEY=" + stranger_pub, "TOCK_PLUGIN_PUBLIC_KEY=" + client_pub,
                 "TOCK_PLUGIN_SECRET_KEY=" + client_sec});
            CHECK_FALSE(sched.next(500ms));
        }
    }

    TEST_CASE("without TOCK_PLUGIN_ENDPOINT a plugin says what it is and exits non-zero") {
        for (const char* name : {"port_open", "files"}) {
            CAPTURE(name);
            Child child(plugins_dir + "/tock-trigger-" + name, {});
            const auto status = child.exit_status(5s);
            REQUIRE(status);
            CHECK(*status != 0);
            CHECK(child.stderr_text().find("TOCK_PLUGIN_ENDPOINT is not set") != std::string::npos);
        }
    }

    TEST_CASE("an SDK plugin whose scheduler falls silent with watches pending exits 1") {
        TempDir dir;
        FakeScheduler sched("ipc://" + dir.path + "/plugins");
        Child child(plugins_dir + "/tock-trigger-port_open",
                    {"TOCK_PLUGIN_ENDPOINT=" + sched.endpoint()});
        sched.expect_register("PT0.1S");
        Port closed;
        sched.watch("w1", "port_open", {{"host", "127.0.0.1"}, {"port", closed.number}});
        // Three heartbeats, 0.3 s, without a ping.
        CHECK(child.exit_status(3s) == 1);
        CHECK(child.stderr_text().find("no word from the scheduler in three heartbeats (PT0.3S)") !=
              std::string::npos);
    }

    TEST_CASE("a plugin that is told: on_readable reports satisfied, on_forget hears each end") {
        // The plugin runs on a thread of this process; the test's thread
        // tells it through a pipe, as a plugin's own thread would.
        TempDir dir;
        FakeScheduler sched("ipc://" + dir.path + "/plugins");
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        plugin::Plugin told("told");
        std::vector<std::string> forgotten;
        told.serve("told", [](const plugin::Watch&) { return plugin::Outcome::not_yet(); })
            .on_readable(pipe_fds[0],
                         [&] {
                             char c = 0;
                             if (::read(pipe_fds[0], &c, 1) != 1) return;
                             for (const auto& w : told.pending())
                                 if (w.arg("key", 0) == std::string(1, c))
                                     told.satisfied(w.id, {{"key", w.arg("key", 0)}});
                         })
            .on_forget([&](const plugin::Watch& w) { forgotten.push_back(w.id); });
        ::setenv("TOCK_PLUGIN_ENDPOINT", sched.endpoint().c_str(), 1);
        int status = -1;
        std::thread runner([&] { status = told.run(); });

        const json reg = sched.expect_register();
        CHECK_FALSE(reg.contains("poll_interval"));  // it never polls
        sched.watch("a", "told", {{"key", "a"}});
        sched.watch("b", "told", {{"key", "b"}});
        sched.send({{"type", "unwatch"}, {"id", "b"}});
        sched.ping(1);
        REQUIRE(::write(pipe_fds[1], "a", 1) == 1);
        const auto msg = sched.next();
        REQUIRE(msg);
        CHECK(*msg == json{{"type", "satisfied"}, {"id", "a"}, {"results", {{"key", "a"}}}});
        sched.send({{"type", "stop"}});
        runner.join();
        ::unsetenv("TOCK_PLUGIN_ENDPOINT");
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        CHECK(status == 0);
        CHECK(forgotten == std::vector<std::string>{"b", "a"});
    }
}
