// `tock watch NAME`: a live full-screen view of a running workflow, what
// `cylc tui` is to Cylc. It follows the state stream (docs/protocol.md: a
// snapshot, then numbered deltas, a snapshot again after a gap) and redraws
// once per loop turn in which something changed; keys act on the selected
// task through the commands endpoint. Nothing is polled: the screen changes
// when the stream or the keyboard says so.
#include <fmt/color.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <deque>
#include <map>

#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "tools/client.hpp"
#include "tools/control.hpp"

namespace tock::cmd {

namespace {

// The terminal in raw mode on the alternate screen, given back on any exit.
struct Terminal {
    termios saved{};
    bool raw = false;
    Terminal() {
        if (::tcgetattr(0, &saved) == 0) {
            termios t = saved;
            // ISIG off: Ctrl-C is a key (quit), so the terminal is given back.
            t.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
            t.c_cc[VMIN] = 0;
            t.c_cc[VTIME] = 0;
            raw = ::tcsetattr(0, TCSANOW, &t) == 0;
        }
        std::fputs("\033[?1049h\033[?25l", stdout);
    }
    ~Terminal() {
        std::fputs("\033[?25h\033[?1049l", stdout);
        std::fflush(stdout);
        if (raw) ::tcsetattr(0, TCSANOW, &saved);
    }
};

struct View {
    Json workflow = Json::object();
    std::map<std::pair<std::int64_t, std::string>, Json> tasks;  // (point, name)
    std::uint64_t seq = 0;
    std::size_t selected = 0;
    std::deque<std::string> events;  // the latest changes, newest last
    std::string message;             // the last command's result

    void load(const Json& snap) {
        tasks.clear();
        for (const auto& t : snap.at("tasks")) put(t, false);
        workflow = snap.at("workflow");
        seq = snap.at("seq").get<std::uint64_t>();
    }
    void put(const Json& t, bool note) {
        const auto key =
            std::make_pair(t.at("point").get<std::int64_t>(), t.at("task").get<std::string>());
        auto it = tasks.find(key);
        if (note && (it == tasks.end() || it->second.value("state", "") != t.value("state", "") ||
                     it->second.value("held", false) != t.value("held", false))) {
            events.push_back(fmt::format("{} {}{}", t.value("id", ""), t.value("state", ""),
                                         t.value("held", false) ? " (held)" : ""));
            while (events.size() > 6) events.pop_front();
        }
        tasks[key] = t;
    }
    // A delta in order: applied (true), or a gap (false: take a snapshot).
    bool apply(const Json& d) {
        const auto s = d.at("seq").get<std::uint64_t>();
        if (s <= seq) return true;
        if (s != seq + 1) return false;
        for (const auto& t : d.at("tasks")) put(t, true);
        for (const auto& g : d.at("gone")) {
            for (auto it = tasks.begin(); it != tasks.end(); ++it) {
                if (it->second.value("id", "") == g.get<std::string>()) {
                    tasks.erase(it);
                    break;
                }
            }
        }
        if (d.contains("workflow")) workflow = d["workflow"];
        seq = s;
        return true;
    }
    const Json* selected_task() const {
        if (tasks.empty()) return nullptr;
        auto it = tasks.begin();
        std::advance(it, static_cast<long>(std::min(selected, tasks.size() - 1)));
        return &it->second;
    }
};

void draw(const View& v) {
    winsize ws{};
    int rows = 24, cols = 80;
    if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
        rows = ws.ws_row;
        cols = ws.ws_col;
    }
    std::string out = "\033[H\033[2J";
    out += fmt::format("{}: {}{}   ({} tasks)\r\n", v.workflow.value("name", "?"),
                       v.workflow.value("status", "?"),
                       v.workflow.value("stalled", false) ? ", stalled" : "", v.tasks.size());
    const int body = std::max(3, rows - 11);
    if (v.selected >= v.tasks.size() && !v.tasks.empty()) {
        // (the selection is clamped by the caller)
    }
    const std::size_t first = v.selected >= static_cast<std::size_t>(body)
                                  ? v.selected - static_cast<std::size_t>(body) + 1
                                  : 0;
    std::size_t i = 0;
    std::int64_t last_point = INT64_MIN;
    int lines = 0;
    for (const auto& [key, t] : v.tasks) {
        const std::size_t index = i++;
        if (index < first || lines >= body) continue;
        const std::string state = t.value("state", "?");
        std::string cycle = key.first != last_point ? t.value("cycle", "") : "";
        last_point = key.first;
        const bool sel = index == v.selected;
        std::string line = fmt::format("{} {:<16} {:<24} ", sel ? ">" : " ", cycle, key.second);
        line += fmt::format(state_style(state), "{}", state);
        if (t.value("held", false)) line += " (held)";
        out += line.substr(0, static_cast<std::size_t>(cols) + 16) + "\r\n";
        ++lines;
    }
    for (; lines < body; ++lines) out += "\r\n";
    out += "\r\nrecent:\r\n";
    for (const auto& e : v.events) out += "  " + e + "\r\n";
    for (std::size_t k = v.events.size(); k < 6; ++k) out += "\r\n";
    out += v.message + "\r\n";
    out +=
        "keys: up/down (j/k) select  h hold  r release  t trigger  K kill  p pause  P resume  q "
        "quit";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
}

struct Watch {
    Loop& loop;
    const Run& run;
    View view;
    Event changed, quit;
    std::unique_ptr<Channel> snapshots, commands;
    Ready redraw;

    Watch(Loop& l, const Run& r)
        : loop(l), run(r), changed(l), quit(l), redraw([this] { draw(view); }) {
        ChannelOptions o;
        const std::string s = endpoint_of(run, "snapshots", o);
        snapshots = std::make_unique<Channel>(loop, s, o);
        ChannelOptions c;
        const std::string e = endpoint_of(run, "commands", c);
        commands = std::make_unique<Channel>(loop, e, c);
    }

    void dirty() {
        if (!redraw.linked()) loop.at_turn_end(redraw);
    }

    Task<void> stream() {
        ZSocket sub(loop, zmq::socket_type::sub);
        subscribe_updates(sub, run);
        // Subscribed first, then the snapshot: deltas it already holds are
        // dropped by their seq.
        try {
            view.load(co_await snapshots->call("snapshot"));
            dirty();
            for (;;) {
                Multipart m = co_await sub.recv();
                if (m.size() != 2) continue;
                const Json d = Json::parse(m[1].to_string_view(), nullptr, false);
                if (!d.is_object() || !d.contains("seq")) continue;
                if (!view.apply(d)) {
                    view.load(co_await snapshots->call("snapshot"));
                    view.apply(d);
                }
                dirty();
            }
        } catch (const std::exception& e) {
            // The scheduler ended (or never answered): the screen stays, as
            // it last was, until q.
            view.message = fmt::format("the state stream ended: {}", e.what());
            dirty();
        }
    }

    Task<void> act(std::string op, Json args) {
        args["user"] = who();
        try {
            const Json r = co_await commands->call(op, args);
            view.message = fmt::format("{}: {}", op, r.dump());
        } catch (const std::exception& e) {
            view.message = fmt::format("{}: {}", op, e.what());
        }
        dirty();
    }

    Task<void> keys(Scope& actions) {
        FdReadable in(loop, 0);
        std::string pending;
        for (;;) {
            co_await in.wait();
            char buf[64];
            const ssize_t n = ::read(0, buf, sizeof buf);
            if (n == 0) {  // end of input
                quit.set();
                co_return;
            }
            if (n > 0) pending.append(buf, static_cast<std::size_t>(n));
            while (!pending.empty()) {
                std::string key(1, pending[0]);
                std::size_t used = 1;
                if (pending.rfind("\033[A", 0) == 0 || pending.rfind("\033[B", 0) == 0) {
                    key = pending[2] == 'A' ? "k" : "j";
                    used = 3;
                }
                pending.erase(0, used);
                const Json* t = view.selected_task();
                const Json ids = t ? Json::array({t->value("id", "")}) : Json::array();
                if (key == "q" || key == "\x03") {
                    quit.set();
                    co_return;
                } else if (key == "j" && view.selected + 1 < view.tasks.size()) {
                    ++view.selected;
                } else if (key == "k" && view.selected > 0) {
                    --view.selected;
                } else if (key == "p" || key == "P") {
                    actions.spawn(act(key == "p" ? "pause" : "resume", Json::object()));
                } else if (t && (key == "h" || key == "r" || key == "t" || key == "K")) {
                    const char* op = key == "h"   ? "hold"
                                     : key == "r" ? "release"
                                     : key == "t" ? "trigger"
                                                  : "kill";
                    actions.spawn(act(op, Json{{"ids", ids}}));
                }
                dirty();
            }
            in.rearm();
        }
    }
};

Task<void> watching(Loop& loop, const Run& r) {
    Watch w(loop, r);
    Scope scope(loop), actions(loop);
    scope.spawn(w.stream());
    scope.spawn(w.keys(actions));
    co_await w.quit.wait();
}

}  // namespace

int watch(const std::string& name) {
    if (!::isatty(0) || !::isatty(1)) {
        fmt::print(stderr, "tock watch: it needs a terminal (try tock status for a table)\n");
        return 2;
    }
    try {
        const Run r = find_run(name);
        Loop loop;
        Terminal term;
        run_until(loop, watching(loop, r));
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock watch: {}\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace tock::cmd
