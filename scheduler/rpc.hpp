// The ordered request/reply channel: `co_await peer.call("op", args)`.
//
// One DEALER (Channel, the caller) talks to one ROUTER (Server) over a single
// ZeroMQ stream, so everything a Channel sends arrives in the order it was
// sent, calls and one-way messages alike, and the Server starts their handlers
// in that order. A handler is a plain coroutine that returns a JSON value or
// throws; its result or its error's message goes back to the caller, where an
// error is rethrown as RemoteError.
//
// Wire format (JSON, one frame per batch, documented in docs/protocol.md):
//   caller -> server  [ {"id": 7, "op": "add", "args": {...}},   a call
//                       {"op": "log", "args": {...}},             one-way
//                       {"op": "$ping"} ]                         heartbeat
//   server -> caller  [ {"id": 7, "ok": <value>} | {"id": 7, "error": "text"}
//                       | {"pong": true} ]
// Batching: messages queued during one loop turn leave together, as one frame,
// before the loop next waits. No timer decides when a batch goes.
//
// Dead peers: while calls are pending, the Channel expects to hear from the
// server at least every heartbeat_interval (any reply counts; otherwise it
// sends $ping, which the server answers at once). After heartbeat_timeout of
// silence, or at once when the transport reports the connection dropped
// (tcp://, ipc://), every pending call fails with PeerLost. With no call
// pending there are no heartbeats and no timers: an idle channel costs nothing.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/zsocket.hpp"

namespace tock {

using Json = nlohmann::json;

class RemoteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PeerLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ChannelOptions {
    Duration heartbeat_interval = std::chrono::seconds(1);
    Duration heartbeat_timeout = std::chrono::seconds(3);
};

class Channel {
public:
    Channel(Loop& loop, const std::string& endpoint, ChannelOptions opts = {});
    ~Channel();
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    // Call `op` on the server; the handler's result, or RemoteError / PeerLost.
    Task<Json> call(std::string op, Json args = Json::object());
    // One-way message: ordered with calls, no reply.
    void send(std::string op, Json args = Json::object());

    std::size_t pending() const noexcept { return pending_.size(); }
    std::uint64_t batches_sent() const noexcept { return batches_sent_; }

private:
    struct Pending {
        Ready ready;
        std::optional<Json> result;
        std::optional<std::string> error;
        bool lost = false;
    };
    class CallAwaiter;
    void enqueue(Json msg);
    void flush();
    void settle(Pending& p);
    void fail_all(const std::string& why);
    Task<void> read_replies();
    Task<void> watchdog();
    Task<void> watch_connection();

    Loop& loop_;
    ChannelOptions opts_;
    ZSocket sock_;
    ZSocket monitor_;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::uint64_t, Pending*> pending_;
    Json outbox_ = Json::array();
    Ready flush_;
    TimePoint last_heard_{};
    Event busy_;
    std::uint64_t batches_sent_ = 0;
    Scope scope_;
};

using Handler = std::function<Task<Json>(Json args)>;

class Server {
public:
    Server(Loop& loop, const std::string& endpoint);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void handle(std::string op, Handler h) { handlers_[std::move(op)] = std::move(h); }
    std::string endpoint() const;
    // Frames that were not a JSON array of messages; dropped.
    std::uint64_t malformed() const noexcept { return malformed_; }

private:
    Task<void> serve();
    Task<void> run(std::string peer, std::optional<std::uint64_t> id, std::string op, Json args);
    void reply(const std::string& peer, Json msg);
    void flush();

    Loop& loop_;
    ZSocket sock_;
    std::unordered_map<std::string, Handler> handlers_;
    std::unordered_map<std::string, Json> outboxes_;
    Ready flush_;
    std::uint64_t malformed_ = 0;
    Scope handlers_scope_;
    Scope scope_;
};

}  // namespace tock
