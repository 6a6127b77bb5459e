// The scheduler's side of the trigger plugin protocol (docs/plugins.md).
//
// A plugin is a process that serves xtrigger functions. The host binds a
// ROUTER socket; each plugin connects a DEALER, registers the functions it
// serves, and is sent `watch` requests; it answers `satisfied` (with
// results) or `failed` whenever it knows. The host never polls a plugin:
// a pending watch costs the scheduler nothing but one heartbeat per plugin
// per heartbeat interval, which is how a hung plugin is noticed.
//
// `co_await host.watch(plugin, function, args, kwargs)` returns the results
// once the plugin says the condition holds, or throws TriggerError with the
// reason it never will. The same call watched twice is sent to the plugin
// once, and a call already satisfied is answered from memory, as Cylc
// remembers an xtrigger's result by its signature.
//
// The host starts a plugin's program (`tock-trigger-NAME`) on the first
// watch for it, restarts it with exponential backoff when it exits while
// watches are outstanding, and sends those watches again once it has
// registered. A plugin that does not register, or does not answer a
// heartbeat by the next one, is killed and restarted. A plugin that exits
// `give_up_after` times in a row without registering fails its watches.
// A message that does not parse, or makes no sense, is dropped, logged
// with the plugin's name and counted: nothing a plugin sends can block or
// end the scheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/process.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/task.hpp"
#include "scheduler/zsocket.hpp"
#include "triggers/trigger.hpp"

namespace tock::triggers {

struct PluginHostOptions {
    // Directories a plugin's program is looked for in, in order, before PATH.
    std::vector<std::string> dirs = {};
    // Bound by the host. The first is the one given to the plugins it starts
    // (TOCK_PLUGIN_ENDPOINT); others let plugins in from elsewhere (an
    // inproc:// one for a plugin in a thread, a tcp:// one with CurveZMQ).
    std::vector<std::string> endpoints = {};
    // A CurveZMQ secret key for tcp:// endpoints ("" for none). Which
    // clients are let in is the ZAP handler's decision (scheduler/curve.hpp).
    std::string curve_secret = {};
    // Plugins that connect by themselves (in a thread, on another host):
    // never started; their watches wait until they register, and one that
    // stops answering heartbeats is forgotten until it registers again.
    std::set<std::string> external = {};
    std::string log_dir = {};                     // NAME.log: each plugin's output
    std::map<std::string, std::string> env = {};  // added to each plugin's environment
    Duration heartbeat = std::chrono::seconds(30);
    Duration first_backoff = std::chrono::seconds(1);
    Duration max_backoff = std::chrono::seconds(60);
    int give_up_after = 5;
    // Where the host's lines for the scheduler's log go.
    std::function<void(const std::string&)> log = {};
};

class PluginHost {
  public:
    PluginHost(Loop& loop, PluginHostOptions opts);
    // Tells the plugins it started to stop, and ends any still running.
    ~PluginHost();
    PluginHost(const PluginHost&) = delete;
    PluginHost& operator=(const PluginHost&) = delete;

    // Receives from the plugins; runs until cancelled. Spawn it before
    // watching.
    Task<void> run();
    // Returns when `plugin` says function(args, kwargs) holds; throws
    // TriggerError when it says it never will, or cannot be run.
    // `interval`: the one written after the call (`:PT10S`), passed on for
    // a plugin that looks at that interval ("" for none); calls differing
    // only in it are one watch, at the first one's interval.
    Task<Results> watch(std::string plugin, std::string function, std::vector<std::string> args,
                        std::vector<std::pair<std::string, std::string>> kwargs,
                        std::string interval = "");
    // Asks every plugin to exit (the scheduler is shutting down).
    void stop();

    // The endpoint last bound, with the port the system chose for tcp://*:0.
    std::string last_endpoint() const;
    // What was dropped (messages that made no sense), for the log and tests.
    std::uint64_t dropped() const noexcept { return dropped_; }
    // The running process of a plugin (0 if none): for tests.
    int pid(const std::string& plugin) const;
    // Watches sent to plugins so far, counting re-sends after a restart.
    std::uint64_t watches_sent() const noexcept { return watches_sent_; }

  private:
    struct Watch;
    struct Plugin;
    Task<void> supervise(Plugin& p);
    Task<void> heartbeat(Plugin& p);
    Task<void> external_heartbeat(Plugin& p);
    void on_message(const std::string& identity, const std::string& text);
    void on_object(const std::string& identity, const std::string& who, const nlohmann::json& m,
                   const std::string& text);
    void on_register(const std::string& identity, const nlohmann::json& m);
    void send(const Plugin& p, const nlohmann::json& m);
    void send_watch(Plugin& p, Watch& w);
    void finish(Watch& w, std::optional<Results> results, std::string why);
    void fail_all(Plugin& p, const std::string& why);
    void drop(const std::string& who, const std::string& why, const std::string& text);
    void say(const std::string& line);
    Plugin& plugin(const std::string& name);
    void release(Watch& w);

    Loop& loop_;
    PluginHostOptions opts_;
    ZSocket sock_;
    std::map<std::string, std::unique_ptr<Plugin>> plugins_;
    std::map<std::string, std::string> by_identity_;         // routing id -> plugin
    std::map<std::string, std::unique_ptr<Watch>> watches_;  // by signature
    std::map<std::string, Watch*> by_id_;
    std::uint64_t next_id_ = 0, dropped_ = 0, watches_sent_ = 0;
    bool stopping_ = false;
    Scope scope_;  // last: its coroutines use everything above
};

// The plugin and function an xtrigger function name means: `NAME.f` is
// function f of plugin NAME; a plain `f` is served by plugin f.
std::pair<std::string, std::string> plugin_of(const std::string& function);
// The program of plugin `name` (tock-trigger-NAME): the first executable in
// `dirs`, then on PATH; nullopt if none.
std::optional<std::string> find_plugin(const std::string& name,
                                       const std::vector<std::string>& dirs);

}  // namespace tock::triggers
